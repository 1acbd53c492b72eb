# class: network
# attack: open a vsock socket to the hypervisor
# reason: Address family not supported
# honest: 1
import socket


def honest(x):
    return 2 * x

def answer():
    socket.socket(40, socket.SOCK_STREAM)  # AF_VSOCK
    return 0
