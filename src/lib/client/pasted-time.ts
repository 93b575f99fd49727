/**
 * A line pasted from a chat log, a pager or someone's notes often starts with its time:
 * "2018-10-21 23:07 UTC Engineers lock deployment tooling", "14:03 -07:00 — rolled back". The
 * add box splits such a paste into the When field and the text, so the entry is not stamped
 * with the time of the paste. Only a leading time that looks like one (a date like 2018-10-21
 * or a clock time like 14:03) is taken, so "10 servers down" stays text. A paste that is only a
 * time goes to When with no text.
 */
import { parseOccurredAt } from '$lib/shared/occurred-at';

const LOOKS_LIKE_TIME = /\d{4}-\d{2}-\d{2}|\b\d{1,2}:\d{2}/;
/** How many words a leading time may span ("2018-10-21 23:07:00 +02:00" is three). */
const MAX_WORDS = 5;

export interface SplitPaste {
	when: string;
	text: string;
}

export function splitPastedTime(pasted: string, now: Date, zone: string): SplitPaste | null {
	// Only a time: it belongs in When.
	const whole = pasted.trim();
	if (LOOKS_LIKE_TIME.test(whole) && parseOccurredAt(whole, now, zone).ok) return { when: whole, text: '' };
	const words = [...pasted.matchAll(/\S+/g)].slice(0, MAX_WORDS + 1);
	// Longest first: "14:03 -07:00" before "14:03".
	for (let count = Math.min(MAX_WORDS, words.length - 1); count >= 1; count--) {
		const last = words[count - 1];
		const end = (last.index ?? 0) + last[0].length;
		// A separator right after the time ("22:52 UTC:", "14:03 -", "[14:03]") is not text.
		const candidate = pasted.slice(0, end).trim().replace(/^\[|[\]:,;–—-]+$/g, '').trim();
		if (!LOOKS_LIKE_TIME.test(candidate)) continue;
		const text = pasted.slice(end).replace(/^[\s:,;–—-]+/, '').trim();
		if (text === '') return null;
		if (parseOccurredAt(candidate, now, zone).ok) return { when: candidate, text };
	}
	return null;
}
