//! `ikev2 decode -x`: an IKE message's bytes with the field map of
//! `ietfwg_ikev2::wire::fields`, and the decrypted SK/SKF plaintext's.

use ietfwg_ikev2::decoder::{Decoded, Decryption, FragmentState};
use ietfwg_ikev2::wire::fields::{self, FieldLayer};

use crate::hexdump;
use crate::ikev2::stream::Event;
use crate::text::Text;

fn slot(l: FieldLayer) -> usize {
    match l {
        FieldLayer::Header => 0,
        FieldLayer::PayloadHeader => 1,
        FieldLayer::PayloadBody => 2,
        FieldLayer::Encrypted => 3,
        FieldLayer::Undecoded => 5,
    }
}

/// Writes the annotated dump of an IKEv2 message (nothing for ESP, keepalives, IKEv1 and
/// transport problems), then of its decrypted plaintext when there is one.
pub fn event(t: &mut Text, ev: &Event) -> anyhow::Result<()> {
    let Decoded::Ikev2(d) = &ev.decoded else {
        return Ok(());
    };
    let color = t.color;
    let opened = match d.encrypted.as_ref().map(|e| &e.decryption) {
        Some(Decryption::Done(o)) => Some(o),
        _ => None,
    };
    let map = fields::message_fields(
        &d.bytes,
        d.header.as_ref(),
        d.message.as_ref().map(|m| m.payloads.as_slice()),
        opened.map(|o| &o.decrypted),
    );
    let title = format!(
        "bytes of the IKE message ({} octets; offsets count from the first octet of the IKE header)",
        d.bytes.len()
    );
    hexdump::render(&mut t.buf, color, &title, &d.bytes, &map, slot)?;
    let Some(o) = opened else {
        return Ok(());
    };
    if let Some(chain) = &o.payloads {
        let p = &o.decrypted;
        let map = fields::chain_fields(
            &p.plaintext,
            p.plaintext_offset,
            chain.as_ref().map(Vec::as_slice),
        );
        let title = format!(
            "decrypted SK plaintext ({} octets, padding removed; offset 0 is message octet {})",
            p.plaintext.len(),
            p.plaintext_offset
        );
        hexdump::render(&mut t.buf, color, &title, &p.plaintext, &map, slot)?;
    }
    if let Some(FragmentState::Complete(r)) = &o.fragments {
        let map = fields::chain_fields(&r.plaintext, 0, r.payloads.as_ref().map(Vec::as_slice));
        let title = format!(
            "plaintext reassembled from SKF fragments in frames {:?} ({} octets)",
            r.frames,
            r.plaintext.len()
        );
        hexdump::render(&mut t.buf, color, &title, &r.plaintext, &map, slot)?;
    }
    Ok(())
}
