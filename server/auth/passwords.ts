/**
 * Password hashing with argon2id (@node-rs/argon2, OWASP's recommended parameters are its
 * defaults: m=19 MiB, t=2, p=1).
 */
import { hash, verify } from '@node-rs/argon2';

/** Algorithm.Argon2id; the enum is a const enum, which isolated modules cannot read. */
const ARGON2ID = 2;

export function hashPassword(password: string): Promise<string> {
	return hash(password, { algorithm: ARGON2ID });
}

/** A hash of a random password, verified against when the email is unknown so timing does not tell. */
let decoy: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
	if (passwordHash === null) {
		decoy ??= hashPassword(crypto.randomUUID());
		await verify(await decoy, password).catch(() => false);
		return false;
	}
	try {
		return await verify(passwordHash, password);
	} catch {
		return false;
	}
}
