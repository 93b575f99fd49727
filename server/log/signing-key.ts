/**
 * The server's Ed25519 checkpoint key. The private half lives in a file outside the database
 * (created at first start with mode 0600); someone who can edit the database cannot sign. The
 * public half is printed at start and can be pinned in config (VIGILES_PUBLIC_KEY), in which case
 * the server refuses to start with any other key and `verify` trusts only the pinned one.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { keyIdOf } from './log-chain.mjs';

export interface Signer {
	keyId: string;
	publicKey: KeyObject;
	publicKeyPem: string;
	/** Base64 Ed25519 signature. */
	sign(message: Buffer): string;
}

export class SigningKeyError extends Error {
	override name = 'SigningKeyError';
}

export function loadOrCreateSigningKey(file: string): { signer: Signer; created: boolean } {
	let created = false;
	let pem: string;
	try {
		pem = fs.readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
		fs.mkdirSync(path.dirname(file), { recursive: true });
		const { privateKey } = generateKeyPairSync('ed25519');
		pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
		try {
			fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
			created = true;
		} catch (raced) {
			if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
			pem = fs.readFileSync(file, 'utf8');
		}
	}
	let privateKey: KeyObject;
	try {
		privateKey = createPrivateKey(pem);
	} catch (error) {
		throw new SigningKeyError(`${file} does not hold a private key: ${(error as Error).message}`);
	}
	if (privateKey.asymmetricKeyType !== 'ed25519') {
		throw new SigningKeyError(`${file} holds a ${privateKey.asymmetricKeyType} key; checkpoints need Ed25519`);
	}
	const publicKey = createPublicKey(privateKey);
	return {
		created,
		signer: {
			keyId: keyIdOf(publicKey),
			publicKey,
			publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
			sign: (message) => sign(null, message, privateKey).toString('base64')
		}
	};
}

/**
 * The public key verification should trust: the pinned one if configured, else the one derived
 * from the signing key file. Never creates a key (for `vigiles verify` and `export`).
 */
export function trustedPublicKey(config: { signingKeyFile: string; pinnedPublicKey: string | undefined }): {
	key: KeyObject;
	source: string;
} {
	if (config.pinnedPublicKey) return { key: readPinnedKey(config.pinnedPublicKey), source: 'pinned public key (VIGILES_PUBLIC_KEY)' };
	let pem: string;
	try {
		pem = fs.readFileSync(config.signingKeyFile, 'utf8');
	} catch {
		throw new SigningKeyError(
			`no trusted public key: pin one with --public-key / VIGILES_PUBLIC_KEY, or run where the signing key file ${config.signingKeyFile} is`
		);
	}
	return { key: createPublicKey(createPrivateKey(pem)), source: `signing key file ${config.signingKeyFile}` };
}

/** True when the key file can be read by others than its owner. */
export function keyFileTooOpen(file: string): boolean {
	try {
		return (fs.statSync(file).mode & 0o077) !== 0;
	} catch {
		return false;
	}
}

/** Reads a pinned public key given as PEM text or as the path of a PEM file. */
export function readPinnedKey(value: string): KeyObject {
	const pem = value.trimStart().startsWith('-----BEGIN') ? value : fs.readFileSync(value, 'utf8');
	const key = createPublicKey(pem);
	if (key.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`the pinned public key is ${key.asymmetricKeyType}, not Ed25519`);
	return key;
}
