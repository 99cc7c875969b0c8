// Package seal holds a node's sealing keys and the envelopes a sealed relay carries (issue 15).
//
// With a sealed relay, the public Jira AB holds only envelopes that node A and node B can open
// and nobody else can forge. Each node has an Identity: an age hybrid identity (ML-KEM-768 +
// X25519, post-quantum: data on a public Jira may be kept for years) to open envelopes, and an
// Ed25519 key (standard library) to sign them. A node hands its partner its Public half (one
// line of text, with a short Fingerprint to read out over the phone).
//
// An Envelope is one sealed item (the shared state of an issue, one comment, one worklog, the
// metadata of one attachment): a small plaintext header (format version, kind, opaque id,
// sequence number, signer's fingerprint), the age ciphertext of the padded payload, encrypted to
// both nodes, and an Ed25519 signature over the header and the ciphertext's hash. Open checks
// the signature against the partner keys the node trusts before it decrypts anything; the
// caller compares the sequence number with what it last accepted, so a replayed (older)
// envelope is refused. Payloads are padded to a multiple of PadTo bytes so their length says
// little about their content. Attachments are sealed as streams (SealFile) whose hash the
// attachment's envelope carries.
//
// Keys rotate through a Keyring: a new identity is announced in an envelope of kind
// KindRotate signed by the old one; both are accepted for an overlap period, then the old one is
// retired; a compromised key can be revoked at once.
//
// The package knows nothing of Jira or the engine: the engine meets it only in the relay side's
// projection and writes.
package seal
