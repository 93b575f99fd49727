/**
 * A SHA-256 as people paste it: the bare 64 hex digits, or a line a hashing tool printed, from
 * which the digest is taken: `sha256sum` ("<hash>  <file>", "<hash> *<file>") and the BSD /
 * openssl form ("SHA256 (<file>) = <hash>", "SHA2-256(<file>)= <hash>"). Null for anything else.
 */
const BARE = /^([0-9a-f]{64})$/i;
const SHA256SUM = /^\\?([0-9a-f]{64}) [ *].+$/i;
const BSD = /^SHA2?-?256 ?\(.+\) ?= ?([0-9a-f]{64})$/i;

export function pastedHash(text: string): string | null {
	const line = text.trim();
	const match = BARE.exec(line) ?? SHA256SUM.exec(line) ?? BSD.exec(line);
	return match ? match[1].toLowerCase() : null;
}
