# class: network
# attack: open a netlink socket to talk to the kernel's network stack
# reason: Address family not supported
# honest: 1
import socket


def honest(x):
    return 2 * x

def answer():
    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    return 0
