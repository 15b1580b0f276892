#!/usr/bin/env python3
"""Traffic through the ESP tunnel of pcaps/record-esp: 3 ICMP echo requests from SRC to DST
(raw socket, so no ping binary is needed) and 3 UDP datagrams to DST port 9999.

    esp-traffic.py SRC DST
"""
import socket, struct, sys, time
src, dst = sys.argv[1], sys.argv[2]
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
ic = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); ic.bind((src, 0)); ic.settimeout(2)
got = 0
for seq in range(1, 4):
    payload = b"ietfwg-esp-ping-%d" % seq
    h = struct.pack("!BBHHH", 8, 0, 0, 0x4242, seq); h = struct.pack("!BBHHH", 8, 0, csum(h + payload), 0x4242, seq)
    ic.sendto(h + payload, (dst, 0))
    try:
        while True:
            d, a = ic.recvfrom(2048)
            if d[20] == 0: got += 1; break
    except socket.timeout: pass
    time.sleep(0.1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((src, 40000))
for i in range(3):
    u.sendto(b"ietfwg-esp-udp-%d" % i, (dst, 9999)); time.sleep(0.05)
print("echo replies:", got)
