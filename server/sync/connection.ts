/**
 * One client's WebSocket in a room. Holds who it is (from the session at the upgrade), which
 * awareness clientIDs it speaks for, and guards sending: a client that stops reading is closed
 * rather than buffered without limit (it resyncs when it reconnects).
 */
import type { WebSocket } from 'ws';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';

export interface ConnectionUser {
	readonly id: string;
	readonly name: string;
	readonly role: string;
	/** The session (or API token) behind this connection, so revoking it closes the connection. */
	readonly sessionId: string;
}

/** Bytes we let queue for one slow reader before closing it. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Who handles what a connection receives: its room, once it has joined one. */
export interface ConnectionHandler {
	receive(conn: Connection, frame: Uint8Array): void;
	/**
	 * The peer broke the rules below the sync protocol (a text frame, a bad or oversized frame,
	 * too many messages): close with `code`, or cut the connection when there is none.
	 */
	violation(conn: Connection, reason: string, code: number | null): void;
}

type Inbound = { frame: Uint8Array } | { violation: string; code: number | null };

/**
 * Messages a connection may send: a bucket of MESSAGE_BURST refilled at MESSAGES_PER_SECOND.
 * Typing sends one message per keystroke; reconnecting, a handful; a script flooding a room
 * runs out and is closed with TOO_MANY.
 */
export const MESSAGE_BURST = 600;
export const MESSAGES_PER_SECOND = 200;

let nextId = 1;

/** An awareness update that lists no clients: a no-op the stock client still counts as a message. */
const KEEPALIVE_FRAME = Uint8Array.from([1, 1, 0]);

export class Connection {
	readonly id = nextId++;
	readonly awarenessClients = new Set<number>();
	/** Writes the server dropped because this connection may only read. */
	droppedWrites = 0;
	/**
	 * Updates that arrived before the content they continue (a client that types while it
	 * reconnects sends the new keystroke before its sync step 2). Judged again, in order, after
	 * each update of this connection that the room accepts.
	 */
	readonly waiting: Uint8Array[] = [];
	waitingSince = 0;
	private lastSentAt = Date.now();
	private handler: ConnectionHandler | null = null;
	/** What arrived before the room was loaded, or while reading is paused, in order. */
	private held: Inbound[] = [];
	private paused = false;
	private tokens = MESSAGE_BURST;
	private tokensAt = Date.now();
	private closedFlag = false;
	private readonly closeListeners: (() => void)[] = [];

	constructor(
		private readonly socket: WebSocket,
		readonly incidentId: string,
		readonly user: ConnectionUser,
		/** Sends log events (message type 100) too; asked for with `?events=1`. */
		readonly wantsEvents: boolean
	) {
		socket.on('close', () => this.markClosed());
	}

	get closed(): boolean {
		return this.closedFlag;
	}

	/** A frame from the peer: handled now if the connection is in a room, else held until it is. */
	inbound(item: Inbound): void {
		if (this.closedFlag) return;
		if (this.handler && !this.paused) this.dispatch(this.handler, item);
		else this.held.push(item);
	}

	/** Hands the connection to its room and delivers what was held. */
	attach(handler: ConnectionHandler): void {
		this.handler = handler;
		this.flush();
	}

	private flush(): void {
		while (this.handler && !this.paused && !this.closedFlag && this.held.length > 0) {
			this.dispatch(this.handler, this.held.shift() as Inbound);
		}
	}

	private dispatch(handler: ConnectionHandler, item: Inbound): void {
		if ('frame' in item) handler.receive(this, item.frame);
		else handler.violation(this, item.violation, item.code);
	}

	/** Takes one message from the connection's allowance; false when it has run out. */
	allowMessage(): boolean {
		const now = Date.now();
		this.tokens = Math.min(MESSAGE_BURST, this.tokens + ((now - this.tokensAt) / 1000) * MESSAGES_PER_SECOND);
		this.tokensAt = now;
		if (this.tokens < 1) return false;
		this.tokens -= 1;
		return true;
	}

	/** Observers read; the server drops what they try to write. */
	get readOnly(): boolean {
		return this.user.role === 'observer';
	}

	/**
	 * The stock client reconnects when it has heard nothing for 30 s. Editors hear their own
	 * presence echoed every 15 s; a reader alone in a room hears nothing, so it gets a no-op.
	 */
	keepAlive(idleMs: number): void {
		if (Date.now() - this.lastSentAt >= idleMs) this.send(KEEPALIVE_FRAME);
	}

	send(frame: Uint8Array): void {
		if (this.closedFlag) return;
		if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
			this.close(CLOSE_CODES.TRY_AGAIN, 'too far behind; reconnect to resync');
			return;
		}
		this.lastSentAt = Date.now();
		this.socket.send(frame, { binary: true }, (error) => {
			if (error) this.terminate();
		});
	}

	/** Closes with a code from CLOSE_CODES; the reason is for people (at most 123 bytes). */
	close(code: number, reason: string): void {
		if (this.closedFlag) return;
		this.markClosed();
		try {
			this.socket.close(code, truncate(reason));
		} catch {
			this.socket.terminate();
		}
		// A peer that never answers the close handshake is cut off.
		setTimeout(() => this.socket.terminate(), 2000).unref();
	}

	terminate(): void {
		this.markClosed();
		this.socket.terminate();
	}

	/**
	 * Stops reading. The socket stops pulling from TCP (the peer's sends back up), and frames
	 * `ws` had already parsed from the last chunk wait here instead of being handled.
	 */
	pause(): void {
		if (this.closedFlag) return;
		this.paused = true;
		this.socket.pause();
	}

	resume(): void {
		if (this.closedFlag) return;
		this.paused = false;
		this.flush();
		if (!this.paused) this.socket.resume();
	}

	onClose(listener: () => void): void {
		if (this.closedFlag) listener();
		else this.closeListeners.push(listener);
	}

	private markClosed(): void {
		if (this.closedFlag) return;
		this.closedFlag = true;
		for (const listener of this.closeListeners.splice(0)) listener();
	}
}

function truncate(reason: string): string {
	const bytes = Buffer.from(reason);
	return bytes.length <= 123 ? reason : bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '…';
}
