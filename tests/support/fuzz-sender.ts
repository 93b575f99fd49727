/**
 * Sends one fuzz frame on a connection of its own and resolves when the server has closed it.
 */
import net from 'node:net';
import WebSocket from 'ws';
import type { FuzzFrame } from './fuzz-frames';

export async function sendOnOwnConnection(baseUrl: string, incidentId: string, cookie: string, fuzz: FuzzFrame): Promise<number> {
	const url = new URL(baseUrl);
	if ('raw' in fuzz) {
		return new Promise((resolve) => {
			const socket = net.connect(Number(url.port), url.hostname);
			socket.on('error', () => {});
			const key = Buffer.from(Math.random().toString(36).slice(2, 18).padEnd(16, 'x')).toString('base64');
			socket.write(
				`GET /sync/${incidentId} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
					`Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nCookie: ${cookie}\r\n\r\n`
			);
			socket.once('data', () => socket.write(fuzz.raw));
			socket.once('close', () => resolve(-1));
		});
	}
	return new Promise((resolve) => {
		const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/sync/${incidentId}`, { headers: { cookie }, maxPayload: 64 * 1024 * 1024 });
		ws.on('error', () => {});
		ws.once('open', () => ws.send('text' in fuzz ? fuzz.text : fuzz.binary, { binary: !('text' in fuzz) }));
		ws.once('close', (code) => resolve(code));
	});
}

/** Runs `task` over `items` with at most `limit` at once. */
export async function inParallel<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(items.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: limit }, async () => {
			while (next < items.length) {
				const index = next++;
				results[index] = await task(items[index]);
			}
		})
	);
	return results;
}
