import { describe, expect, it } from 'vitest';
import { pastedHash } from '../../src/lib/client/pasted-hash';

const HASH = '3f2a'.repeat(16);

describe('a pasted SHA-256', () => {
	it('takes the digest from what hashing tools print, in lower case', () => {
		expect(pastedHash(HASH)).toBe(HASH);
		expect(pastedHash(`  ${HASH.toUpperCase()}\n`)).toBe(HASH);
		expect(pastedHash(`${HASH}  memory.lime`)).toBe(HASH);
		expect(pastedHash(`${HASH} *disk image.raw`)).toBe(HASH);
		expect(pastedHash(`SHA256 (auth.log.gz) = ${HASH}`)).toBe(HASH);
		expect(pastedHash(`SHA2-256(auth.log.gz)= ${HASH}`)).toBe(HASH);
	});

	it('refuses anything that is not one whole digest', () => {
		for (const bad of ['', HASH.slice(1), `${HASH}0`, `${HASH.slice(0, 63)}g`, `md5 ${HASH}`, `${HASH}x file`, 'a'.repeat(128)]) {
			expect(pastedHash(bad), bad).toBeNull();
		}
	});
});
