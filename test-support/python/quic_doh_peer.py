"""A small DNS over HTTP/3 responder on aioquic, for the tests only (never shipped).

Unlike hypercorn (which gives no TLS session tickets), it can hand out session tickets and so
take resumed handshakes and 0-RTT early data (RFC 9001 §4.6), and it can be held to one TLS
cipher suite: an independent peer for what the client reports about the QUIC handshake.

    python3 quic_doh_peer.py CERT KEY [--tickets] [--suite NAME]

Prints "ready PORT" once listening on 127.0.0.1 (a free UDP port), then one line per completed
handshake, "handshake resumed=BOOL early_data=BOOL" as aioquic saw it; stops at the end of
standard input. Every DoH request (POST application/dns-message, or GET ?dns=) is answered
with A 192.0.2.53 for the name asked, TTL 60, and Cache-Control: max-age=60.
"""

import asyncio
import base64
import socket
import sys
from urllib.parse import parse_qs, urlsplit

import dns.message
import dns.rrset
from aioquic.asyncio import QuicConnectionProtocol, serve
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import HandshakeCompleted, ProtocolNegotiated
from aioquic.tls import CipherSuite


class DohProtocol(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._http = None
        self._streams = {}

    def quic_event_received(self, event):
        if isinstance(event, ProtocolNegotiated) and event.alpn_protocol in H3_ALPN:
            self._http = H3Connection(self._quic)
        if isinstance(event, HandshakeCompleted):
            print(
                f"handshake resumed={event.session_resumed} "
                f"early_data={event.early_data_accepted}",
                flush=True,
            )
        if self._http is None:
            return
        for e in self._http.handle_event(event):
            if isinstance(e, HeadersReceived):
                self._streams[e.stream_id] = [dict(e.headers), b""]
            elif isinstance(e, DataReceived) and e.stream_id in self._streams:
                self._streams[e.stream_id][1] += e.data
            else:
                continue
            if e.stream_ended:
                self._answer(e.stream_id)

    def _answer(self, sid):
        headers, body = self._streams.pop(sid)
        if headers.get(b":method") == b"GET":
            query = parse_qs(urlsplit(headers.get(b":path", b"").decode()).query)
            b64 = query.get("dns", [""])[0]
            wire = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        else:
            wire = body
        try:
            q = dns.message.from_wire(wire)
        except Exception:  # noqa: BLE001 - any parse failure is the client's 400
            self._http.send_headers(sid, [(b":status", b"400")], end_stream=True)
            self.transmit()
            return
        r = dns.message.make_response(q)
        r.answer.append(dns.rrset.from_text(q.question[0].name, 60, "IN", "A", "192.0.2.53"))
        out = r.to_wire()
        self._http.send_headers(
            sid,
            [
                (b":status", b"200"),
                (b"content-type", b"application/dns-message"),
                (b"content-length", str(len(out)).encode()),
                (b"cache-control", b"max-age=60"),
            ],
        )
        self._http.send_data(sid, out, end_stream=True)
        self.transmit()


async def main():
    cert, key = sys.argv[1], sys.argv[2]
    tickets = "--tickets" in sys.argv
    config = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN)
    config.load_cert_chain(cert, key)
    if "--suite" in sys.argv:
        config.cipher_suites = [CipherSuite[sys.argv[sys.argv.index("--suite") + 1]]]
    store = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await serve(
        "127.0.0.1",
        port,
        configuration=config,
        create_protocol=DohProtocol,
        session_ticket_handler=(lambda t: store.__setitem__(t.ticket, t)) if tickets else None,
        session_ticket_fetcher=(lambda label: store.pop(label, None)) if tickets else None,
    )
    print(f"ready {port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
