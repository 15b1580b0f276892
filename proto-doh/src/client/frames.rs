//! One HTTP/2 frame per TLS record.
//!
//! hyper hands the TLS stream many frames at once (a burst of concurrent requests becomes a
//! few 16 KB records). BIND 9.18's DoH listener stalls when one record carries many requests:
//! the requests past the first few are answered only when more data arrives, and a burst
//! sent at once is never answered. nghttp2-based clients (curl, kdig, dnsperf) write each
//! frame separately, and so does this wrapper, by following the frame lengths (RFC 9113 §4.1)
//! in what it writes:
//!
//! ```text
//! connection preface (24 octets), then frames:
//! +-----------------------------------------------+
//! |                 Length (24)                   |
//! +---------------+---------------+---------------+
//! |   Type (8)    |   Flags (8)   |
//! +-+-------------+---------------+-------------------------------+
//! |R|                 Stream Identifier (31)                      |
//! +=+=============================================================+
//! |                   Frame Payload (Length octets)             ...
//! ```

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

const PREFACE_LEN: usize = 24;
const HEADER_LEN: usize = 9;

/// Passes reads through; cuts writes at HTTP/2 frame boundaries.
#[derive(Debug)]
pub(crate) struct FramePerWrite<T> {
    io: T,
    preface_left: usize,
    header: [u8; HEADER_LEN],
    header_len: usize,
    payload_left: usize,
}

impl<T> FramePerWrite<T> {
    pub(crate) fn new(io: T) -> Self {
        FramePerWrite {
            io,
            preface_left: PREFACE_LEN,
            header: [0; HEADER_LEN],
            header_len: 0,
            payload_left: 0,
        }
    }

    /// The server side of a connection, which sends no preface octets before its first frame
    /// (RFC 9113 §3.4: the server's preface is its SETTINGS frame). dnsperf's DoH client
    /// reads one response per TLS record: several in one record are left unread.
    pub(crate) fn server(io: T) -> Self {
        FramePerWrite {
            preface_left: 0,
            ..FramePerWrite::new(io)
        }
    }

    /// How much of `buf` belongs to the preface or frame being written.
    fn limit(&self, buf: &[u8]) -> usize {
        if self.preface_left > 0 {
            return buf.len().min(self.preface_left);
        }
        if self.header_len < HEADER_LEN {
            let need = HEADER_LEN - self.header_len;
            if buf.len() < need {
                return buf.len();
            }
            let mut h = self.header;
            h[self.header_len..].copy_from_slice(&buf[..need]);
            let payload = usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]);
            return buf.len().min(need + payload);
        }
        buf.len().min(self.payload_left)
    }

    /// Follows the frames through the octets actually written.
    fn advance(&mut self, mut written: &[u8]) {
        while !written.is_empty() {
            if self.preface_left > 0 {
                let n = written.len().min(self.preface_left);
                self.preface_left -= n;
                written = &written[n..];
            } else if self.header_len < HEADER_LEN {
                let n = written.len().min(HEADER_LEN - self.header_len);
                self.header[self.header_len..self.header_len + n].copy_from_slice(&written[..n]);
                self.header_len += n;
                written = &written[n..];
                if self.header_len == HEADER_LEN {
                    let h = self.header;
                    self.payload_left =
                        usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]);
                    if self.payload_left == 0 {
                        self.header_len = 0;
                    }
                }
            } else {
                let n = written.len().min(self.payload_left);
                self.payload_left -= n;
                written = &written[n..];
                if self.payload_left == 0 {
                    self.header_len = 0;
                }
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for FramePerWrite<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for FramePerWrite<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let limit = self.limit(buf);
        let res = Pin::new(&mut self.io).poll_write(cx, &buf[..limit]);
        if let Poll::Ready(Ok(n)) = &res {
            let n = (*n).min(limit);
            self.advance(&buf[..n]);
        }
        res
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Below TLS: the records written between two flushes go out in one socket write.
///
/// [`FramePerWrite`] makes one TLS record per HTTP/2 frame; written one by one, a burst of
/// concurrent requests costs two system calls per request. hyper's HTTP/2 flushes after each
/// burst, so the records are gathered here and written together at the flush (at most
/// [`COALESCE_MAX`] octets wait), keeping one frame per record. Off until the TLS handshake is
/// done ([`Coalesce::enable`]): the handshake's flights are written as they come.
#[derive(Debug)]
pub(crate) struct Coalesce<T> {
    io: T,
    buf: Vec<u8>,
    /// Octets of `buf` already written.
    pos: usize,
    enabled: bool,
}

/// Octets gathered at most before they are written without waiting for the flush.
pub(crate) const COALESCE_MAX: usize = 64 * 1024;

impl<T> Coalesce<T> {
    pub(crate) fn new(io: T) -> Self {
        Coalesce {
            io,
            buf: Vec::new(),
            pos: 0,
            enabled: false,
        }
    }

    /// Gather writes from now on.
    pub(crate) fn enable(&mut self) {
        self.enabled = true;
    }
}

impl<T: AsyncWrite + Unpin> Coalesce<T> {
    /// Writes what is gathered.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while self.pos < self.buf.len() {
            match Pin::new(&mut self.io).poll_write(cx, &self.buf[self.pos..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => self.pos += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.buf.clear();
        self.pos = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Coalesce<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Coalesce<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if !self.enabled {
            if !self.buf.is_empty() {
                std::task::ready!(self.drain(cx))?;
            }
            return Pin::new(&mut self.io).poll_write(cx, buf);
        }
        if self.buf.len() >= COALESCE_MAX {
            std::task::ready!(self.drain(cx))?;
        }
        self.buf.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records each write it is given.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>, usize);

    impl AsyncRead for Writes {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Writes {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            // Accept at most `self.1` octets when set: short writes.
            let n = if self.1 > 0 {
                buf.len().min(self.1)
            } else {
                buf.len()
            };
            self.0.push(buf[..n].to_vec());
            Poll::Ready(Ok(n))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn frame(len: usize, ty: u8) -> Vec<u8> {
        let mut f = vec![
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
            ty,
            0,
            0,
            0,
            0,
            1,
        ];
        f.extend(std::iter::repeat_n(ty, len));
        f
    }

    async fn write_in(chunks: &[&[u8]], short: usize) -> Vec<Vec<u8>> {
        use tokio::io::AsyncWriteExt as _;
        let mut w = FramePerWrite::new(Writes(Vec::new(), short));
        for c in chunks {
            w.write_all(c).await.unwrap();
        }
        w.io.0
    }

    #[tokio::test]
    async fn cuts_at_frame_boundaries() {
        let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        let (a, b, c) = (frame(6, 4), frame(0, 4), frame(40, 1));
        let all = [preface.clone(), a.clone(), b.clone(), c.clone()].concat();
        let want = vec![preface.clone(), a.clone(), b.clone(), c.clone()];
        // One buffer of everything.
        assert_eq!(write_in(&[&all], 0).await, want);
        // A header split across buffers (payload follows in the next).
        let split = 24 + a.len() + 4;
        let got = write_in(&[&all[..split], &all[split..]], 0).await;
        assert_eq!(got.concat(), all);
        assert_eq!(got[1], a);
        assert_eq!(got[2], b[..4]);
        assert_eq!(got[3], b[4..]);
        assert_eq!(got[4], c);
        assert!(got.iter().all(|w| w.len() <= c.len()));
        // Short writes by the inner stream keep the count right.
        let got = write_in(&[&all], 5).await;
        assert_eq!(got.concat(), all);
        let mut again = FramePerWrite::new(Writes::default());
        again.advance(&all);
        assert_eq!(
            (again.preface_left, again.header_len, again.payload_left),
            (0, 0, 0)
        );
    }
}
