# class: resources
# attack: start threads until the process table is full
# reason: can't start new thread|Resource temporarily unavailable|took longer than
# honest: 1
import threading
import time


def honest(x):
    return 2 * x

def answer():
    while True:
        threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()
