//! Sans-I/O initiators: building requests and reading responses for a caller that moves the
//! bytes — replaying a recorded IKE_SA_INIT (and completing IKE_AUTH with a pre-shared key),
//! and probing which IKE SA algorithms a responder accepts.

pub mod auth;
pub mod initiator;
pub mod probe;
