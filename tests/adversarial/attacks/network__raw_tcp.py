# class: network
# attack: open a TCP connection to a public DNS server
# reason: Address family not supported
# honest: 1
import socket


def honest(x):
    return 2 * x

def answer():
    socket.create_connection(('1.1.1.1', 53), timeout=2)
    return 0
