/**
 * Secrets handed to a browser or a script (session cookies, the setup token) are 256 random bits
 * from the CSPRNG; the database keeps only their SHA-256, so a database dump cannot be replayed.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newToken(): string {
	return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}

export function tokensEqual(a: string, b: string): boolean {
	const ab = Buffer.from(hashToken(a));
	const bb = Buffer.from(hashToken(b));
	return timingSafeEqual(ab, bb);
}
