"""DNS over HTTPS (RFC 8484) as an ASGI application, for the tests only (never shipped).

hypercorn serves it over HTTP/3 (its --quic-bind, through aioquic) and HTTP/2, an HTTP/3
implementation independent of the one under test. Each query is forwarded unchanged to the
Do53 server at 127.0.0.1:$DOH_UPSTREAM_PORT (the BIND lab server), over UDP, and over TCP when
the UDP answer is truncated; the answer comes back unchanged as application/dns-message.

Statuses as RFC 8484 §4.1 and RFC 9110 name them: 404 for another path, 405 for another
method, 400 for a GET without a usable ?dns= (base64url without padding), 415 for a POST of
another media type, 413 for a body over 65,535 octets, 502 when the upstream does not answer.
"""

import asyncio
import base64
import os
import struct
from urllib.parse import parse_qs

UPSTREAM = ("127.0.0.1", int(os.environ.get("DOH_UPSTREAM_PORT", "53")))
PATH = "/dns-query"
MAX_MESSAGE = 65535
DNS_MESSAGE = b"application/dns-message"


class _FirstDatagram(asyncio.DatagramProtocol):
    def __init__(self):
        self.answer = asyncio.get_running_loop().create_future()

    def datagram_received(self, data, addr):
        if not self.answer.done():
            self.answer.set_result(data)

    def error_received(self, exc):
        if not self.answer.done():
            self.answer.set_exception(exc)


async def _udp(msg):
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(_FirstDatagram, remote_addr=UPSTREAM)
    try:
        transport.sendto(msg)
        return await asyncio.wait_for(proto.answer, 5)
    finally:
        transport.close()


async def _tcp(msg):
    reader, writer = await asyncio.wait_for(asyncio.open_connection(*UPSTREAM), 5)
    try:
        writer.write(struct.pack("!H", len(msg)) + msg)
        await writer.drain()
        (n,) = struct.unpack("!H", await asyncio.wait_for(reader.readexactly(2), 5))
        return await asyncio.wait_for(reader.readexactly(n), 5)
    finally:
        writer.close()


async def resolve(msg):
    answer = await _udp(msg)
    if len(answer) > 2 and answer[2] & 0x02:  # TC (RFC 1035 §4.1.1)
        answer = await _tcp(msg)
    return answer


async def _reply(send, status, ctype, body):
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["type"] != "http":
        return
    text = b"text/plain"
    if scope["path"] != PATH:
        return await _reply(send, 404, text, b"not the DoH path\n")
    method = scope["method"]
    if method == "GET":
        values = parse_qs(scope["query_string"].decode("latin-1")).get("dns")
        if not values or "=" in values[0]:
            return await _reply(send, 400, text, b"no ?dns= (base64url without padding)\n")
        s = values[0]
        try:
            msg = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        except ValueError:
            return await _reply(send, 400, text, b"?dns= is not base64url\n")
    elif method == "POST":
        ctype = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if ctype != DNS_MESSAGE:
            return await _reply(send, 415, text, b"POST needs application/dns-message\n")
        msg, more = b"", True
        while more:
            message = await receive()
            msg += message.get("body", b"")
            more = message.get("more_body", False)
            if len(msg) > MAX_MESSAGE:
                return await _reply(send, 413, text, b"a DNS message is at most 65,535 octets\n")
    else:
        return await _reply(send, 405, text, b"GET or POST\n")
    if len(msg) < 12:
        return await _reply(send, 400, text, b"not a DNS message\n")
    try:
        answer = await resolve(msg)
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
        return await _reply(send, 502, text, f"upstream: {e!r}\n".encode())
    await _reply(send, 200, DNS_MESSAGE, answer)
