#!/usr/bin/env python3
# Count the kernel's offline@/online@ uevents under a sysfs path until a stop file
# appears; print "ready" once listening, then "offline online lost".
import os, socket, sys

s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)  # NETLINK_KOBJECT_UEVENT
s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE: bursts of ~1k events/s
s.bind((0, 1))
s.settimeout(0.1)
c = {"offline": 0, "online": 0}
lost = 0
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):
    try:
        m = s.recv(65536)
    except socket.timeout:
        continue
    except OSError:  # ENOBUFS: the socket overflowed, some events were lost
        lost += 1
        continue
    action, _, path = m.split(b"\0")[0].decode(errors="replace").partition("@")
    if action in c and path.startswith(sys.argv[1]):
        c[action] += 1
print(c["offline"], c["online"], lost, flush=True)
