# class: network
# attack: connect to host daemons' unix sockets (docker, systemd)
# reason: No such file or directory|FileNotFoundError|ConnectionRefused
# honest: 1
import socket


def honest(x):
    return 2 * x

def answer():
    for path in ('/var/run/docker.sock', '/run/systemd/private', '/run/dbus/system_bus_socket'):
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
    return 0
