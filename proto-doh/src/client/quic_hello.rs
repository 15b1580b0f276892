//! What a QUIC connection's TLS handshake negotiated, read from the server's ServerHello.
//!
//! quinn's handshake data holds only the ALPN protocol: the cipher suite and whether the server
//! accepted a session ticket (resumption, RFC 8446 §2.2) stay inside its rustls session. Over
//! QUIC the TLS handshake messages travel in plaintext CRYPTO frames (RFC 9001 §4), which quinn
//! hands to the TLS session one by one: [`Watching`] wraps quinn's client TLS configuration, so
//! that each session it starts shows those bytes to a [`Watched`] session first, which reads the
//! ServerHello (RFC 8446 §4.1.3) and then passes everything on unchanged.
//!
//! ```text
//!  ServerHello: legacy_version(2) random(32) legacy_session_id_echo(1+n) cipher_suite(2)
//!               legacy_compression_method(1) extensions(2+n):
//!                 supported_versions (43): selected_version(2)
//!                 pre_shared_key (41):     selected_identity(2)  ← a ticket was accepted
//! ```

use std::any::Any;
use std::sync::{Arc, OnceLock};

use quinn_proto::crypto::{self, ExportKeyingMaterialError, KeyPair, Keys, PacketKey};
use quinn_proto::transport_parameters::TransportParameters;
use quinn_proto::{ConnectError, ConnectionId, Side, TransportError};

/// The negotiated parameters of one connection, as its ServerHello gave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServerHello {
    /// The cipher suite code point (0x1301 TLS_AES_128_GCM_SHA256, …).
    pub suite: u16,
    /// supported_versions' selected version (0x0304 for TLS 1.3), else legacy_version.
    pub version: u16,
    /// The server accepted a pre-shared key from an earlier session: a resumed handshake.
    pub resumed: bool,
}

impl ServerHello {
    /// IANA's name of the suite ("TLS_AES_256_GCM_SHA384"), as the HTTP/2 path reports it.
    pub fn suite_name(&self) -> String {
        super::tls::iana_suite_name(&format!("{:?}", rustls::CipherSuite::from(self.suite)))
    }

    /// "TLSv1.3", as the HTTP/2 path reports it.
    pub fn version_name(&self) -> String {
        match rustls::ProtocolVersion::from(self.version) {
            rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
            rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
            other => format!("{other:?}"),
        }
    }
}

/// Where one connection's [`ServerHello`] lands once read; shared with the client that reports it.
pub(crate) type HelloSlot = Arc<OnceLock<ServerHello>>;

/// quinn's rustls client configuration, wrapped for one connection: the session it starts
/// reports its ServerHello in `slot`.
pub(crate) struct Watching {
    pub inner: Arc<quinn::crypto::rustls::QuicClientConfig>,
    pub slot: HelloSlot,
}

impl crypto::ClientConfig for Watching {
    fn start_session(
        self: Arc<Self>,
        version: u32,
        server_name: &str,
        params: &TransportParameters,
    ) -> Result<Box<dyn crypto::Session>, ConnectError> {
        let inner =
            crypto::ClientConfig::start_session(self.inner.clone(), version, server_name, params)?;
        Ok(Box::new(Watched {
            inner,
            slot: self.slot.clone(),
            pending: Vec::new(),
            reading: true,
        }))
    }
}

/// The largest handshake prefix kept while looking for the ServerHello: a ServerHello with its
/// extensions is about a hundred octets; past this the watch gives up (the session itself goes
/// on, and judges the bytes).
const MAX_PENDING: usize = 4096;

/// A client TLS session that reads the ServerHello on its way in.
struct Watched {
    inner: Box<dyn crypto::Session>,
    slot: HelloSlot,
    /// The handshake bytes received so far, until the ServerHello is complete.
    pending: Vec<u8>,
    reading: bool,
}

impl Watched {
    fn look(&mut self, buf: &[u8]) {
        if !self.reading {
            return;
        }
        self.pending.extend_from_slice(buf);
        loop {
            match next_message(&self.pending) {
                Message::Incomplete if self.pending.len() <= MAX_PENDING => return,
                Message::Hello(h) => {
                    let _ = self.slot.set(h);
                    break;
                }
                // A HelloRetryRequest (RFC 8446 §4.1.4) is followed by the real ServerHello.
                Message::Retry(len) => {
                    self.pending.drain(..len);
                }
                Message::Incomplete | Message::Other => break,
            }
        }
        self.reading = false;
        self.pending = Vec::new();
    }
}

impl crypto::Session for Watched {
    fn initial_keys(&self, dst_cid: &ConnectionId, side: Side) -> Keys {
        self.inner.initial_keys(dst_cid, side)
    }

    fn handshake_data(&self) -> Option<Box<dyn Any>> {
        self.inner.handshake_data()
    }

    fn peer_identity(&self) -> Option<Box<dyn Any>> {
        self.inner.peer_identity()
    }

    fn early_crypto(&self) -> Option<(Box<dyn crypto::HeaderKey>, Box<dyn PacketKey>)> {
        self.inner.early_crypto()
    }

    fn early_data_accepted(&self) -> Option<bool> {
        self.inner.early_data_accepted()
    }

    fn is_handshaking(&self) -> bool {
        self.inner.is_handshaking()
    }

    fn read_handshake(&mut self, buf: &[u8]) -> Result<bool, TransportError> {
        self.look(buf);
        self.inner.read_handshake(buf)
    }

    fn transport_parameters(&self) -> Result<Option<TransportParameters>, TransportError> {
        self.inner.transport_parameters()
    }

    fn write_handshake(&mut self, buf: &mut Vec<u8>) -> Option<Keys> {
        self.inner.write_handshake(buf)
    }

    fn next_1rtt_keys(&mut self) -> Option<KeyPair<Box<dyn PacketKey>>> {
        self.inner.next_1rtt_keys()
    }

    fn is_valid_retry(&self, orig_dst_cid: &ConnectionId, header: &[u8], payload: &[u8]) -> bool {
        self.inner.is_valid_retry(orig_dst_cid, header, payload)
    }

    fn export_keying_material(
        &self,
        output: &mut [u8],
        label: &[u8],
        context: &[u8],
    ) -> Result<(), ExportKeyingMaterialError> {
        self.inner.export_keying_material(output, label, context)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Message {
    /// Not all of the first handshake message is there yet.
    Incomplete,
    /// The ServerHello.
    Hello(ServerHello),
    /// A HelloRetryRequest of this many octets (header included).
    Retry(usize),
    /// Something else first, or a ServerHello that does not parse: nothing to report.
    Other,
}

/// The `random` of a HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

const SERVER_HELLO: u8 = 2;
const EXT_PRE_SHARED_KEY: u16 = 41;
const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// The first handshake message of `buf` (RFC 8446 §4: msg_type(1) length(3) body).
///
/// Read by hand with a bounded cursor: rustls, which parses the same bytes, keeps its codec
/// private, and four fields of one message do not warrant a TLS parsing crate.
fn next_message(buf: &[u8]) -> Message {
    let mut r = Reader(buf);
    let (Some(kind), Some(len)) = (r.u8(), r.u24()) else {
        return Message::Incomplete;
    };
    let Some(body) = r.take(len) else {
        return Message::Incomplete;
    };
    if kind != SERVER_HELLO {
        return Message::Other;
    }
    match server_hello(body) {
        Some(Ok(h)) => Message::Hello(h),
        Some(Err(())) => Message::Retry(4 + len),
        None => Message::Other,
    }
}

/// Err(()) for a HelloRetryRequest; None when the body does not parse.
fn server_hello(body: &[u8]) -> Option<Result<ServerHello, ()>> {
    let mut r = Reader(body);
    let legacy_version = r.u16()?;
    let random = r.take(32)?;
    let sid_len = usize::from(r.u8()?);
    r.take(sid_len)?;
    let suite = r.u16()?;
    r.u8()?; // legacy_compression_method
    if random == HRR_RANDOM {
        return Some(Err(()));
    }
    let mut hello = ServerHello {
        suite,
        version: legacy_version,
        resumed: false,
    };
    // No extensions at all: a TLS 1.2 ServerHello (RFC 5246 §7.4.1.3).
    if r.0.is_empty() {
        return Some(Ok(hello));
    }
    let ext_len = usize::from(r.u16()?);
    let mut exts = Reader(r.take(ext_len)?);
    while !exts.0.is_empty() {
        let kind = exts.u16()?;
        let len = usize::from(exts.u16()?);
        let mut data = Reader(exts.take(len)?);
        match kind {
            EXT_SUPPORTED_VERSIONS => hello.version = data.u16()?,
            EXT_PRE_SHARED_KEY => hello.resumed = true,
            _ => {}
        }
    }
    Some(Ok(hello))
}

/// A cursor that never reads past its slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u24(&mut self) -> Option<usize> {
        self.take(3)
            .map(|b| usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A TLS 1.3 ServerHello as a QUIC server sends it.
    fn hello(suite: u16, psk: bool, random: [u8; 32]) -> Vec<u8> {
        let mut exts = vec![
            0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, // supported_versions: TLS 1.3
            0x00, 0x33, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x00, // key_share (truncated key)
        ];
        if psk {
            exts.extend([0x00, 0x29, 0x00, 0x02, 0x00, 0x00]); // pre_shared_key: identity 0
        }
        let mut body = vec![0x03, 0x03]; // legacy_version TLS 1.2
        body.extend(random);
        body.push(0); // empty legacy_session_id_echo (RFC 9001 §8.4)
        body.extend(suite.to_be_bytes());
        body.push(0); // null compression
        body.extend(u16::try_from(exts.len()).unwrap().to_be_bytes());
        body.extend(exts);
        let len = body.len();
        let mut msg = vec![SERVER_HELLO, 0, (len >> 8) as u8, len as u8];
        msg.extend(body);
        msg
    }

    #[test]
    fn reads_suite_version_and_resumption() {
        let m = next_message(&hello(0x1303, false, [7; 32]));
        let Message::Hello(h) = m else {
            panic!("{m:?}")
        };
        assert_eq!(h.suite_name(), "TLS_CHACHA20_POLY1305_SHA256");
        assert_eq!(h.version_name(), "TLSv1.3");
        assert!(!h.resumed);
        let Message::Hello(h) = next_message(&hello(0x1302, true, [7; 32])) else {
            panic!()
        };
        assert_eq!(h.suite_name(), "TLS_AES_256_GCM_SHA384");
        assert!(h.resumed);
    }

    #[test]
    fn every_prefix_is_incomplete_never_a_panic() {
        let m = hello(0x1301, true, [1; 32]);
        for n in 0..m.len() {
            assert_eq!(next_message(&m[..n]), Message::Incomplete, "prefix {n}");
        }
        // A body whose inner lengths overrun it does not parse.
        let mut bad = m.clone();
        let ext_len_at = 4 + 2 + 32 + 1 + 2 + 1;
        bad[ext_len_at] = 0xff;
        assert_eq!(next_message(&bad), Message::Other);
        // Another message first (EncryptedExtensions): nothing to report.
        assert_eq!(next_message(&[8, 0, 0, 2, 0, 0]), Message::Other);
    }

    #[test]
    fn a_retry_request_is_skipped_for_the_server_hello_after_it() {
        let mut w = Watched {
            inner: Box::new(Dead),
            slot: Default::default(),
            pending: Vec::new(),
            reading: true,
        };
        let retry = hello(0x1301, false, HRR_RANDOM);
        assert_eq!(next_message(&retry), Message::Retry(retry.len()));
        let mut both = retry;
        both.extend(hello(0x1301, true, [9; 32]));
        // In two pieces, split inside the second message.
        let cut = both.len() - 10;
        w.look(&both[..cut]);
        assert!(w.slot.get().is_none());
        w.look(&both[cut..]);
        let h = w.slot.get().unwrap();
        assert_eq!((h.suite, h.version, h.resumed), (0x1301, 0x0304, true));
        assert!(!w.reading);
    }

    /// A session that is never driven (only `look` is exercised).
    struct Dead;

    impl crypto::Session for Dead {
        fn initial_keys(&self, _: &ConnectionId, _: Side) -> Keys {
            unreachable!()
        }
        fn handshake_data(&self) -> Option<Box<dyn Any>> {
            None
        }
        fn peer_identity(&self) -> Option<Box<dyn Any>> {
            None
        }
        fn early_crypto(&self) -> Option<(Box<dyn crypto::HeaderKey>, Box<dyn PacketKey>)> {
            None
        }
        fn early_data_accepted(&self) -> Option<bool> {
            None
        }
        fn is_handshaking(&self) -> bool {
            true
        }
        fn read_handshake(&mut self, _: &[u8]) -> Result<bool, TransportError> {
            Ok(false)
        }
        fn transport_parameters(&self) -> Result<Option<TransportParameters>, TransportError> {
            Ok(None)
        }
        fn write_handshake(&mut self, _: &mut Vec<u8>) -> Option<Keys> {
            None
        }
        fn next_1rtt_keys(&mut self) -> Option<KeyPair<Box<dyn PacketKey>>> {
            None
        }
        fn is_valid_retry(&self, _: &ConnectionId, _: &[u8], _: &[u8]) -> bool {
            false
        }
        fn export_keying_material(
            &self,
            _: &mut [u8],
            _: &[u8],
            _: &[u8],
        ) -> Result<(), ExportKeyingMaterialError> {
            Err(ExportKeyingMaterialError)
        }
    }
}
