/**
 * Two-way binding between a Y.Text and a <textarea> or <input>, used for entry text and the
 * incident notes. Written as a Svelte attachment: `<textarea {@attach bindYText(ytext)}>`.
 *
 * Local typing becomes the smallest edit (common prefix and suffix kept) applied as one
 * delete + insert transaction, so concurrent typists in other parts of the text are untouched.
 * Remote changes replace the element's value at once; the caret and selection are carried across
 * as Y.RelativePositions captured just before the remote transaction touches the document.
 * Keeping the element and the Y.Text equal at every moment is what makes the diff safe: a remote
 * change held back (say, during IME composition) would be undone by the next local diff.
 */
import * as Y from 'yjs';

type TextField = HTMLTextAreaElement | HTMLInputElement;

/**
 * The smallest replacement turning `before` into `after`: delete `remove` chars at `index`, insert
 * `insert`. With repeated characters more than one replacement is smallest ("a " to "a  " is a
 * space typed before or after the other); `caret`, where the caret is after the edit, says which:
 * the change is placed to end at the caret when it can. Without it, a space typed just before a
 * space someone else had added would be recorded after theirs, and the two typists' letters would
 * take turns. (Surrogate pairs are never split.)
 */
export function textDiff(before: string, after: string, caret?: number | null): { index: number; remove: number; insert: string } {
	const max = Math.min(before.length, after.length);
	const sameAtEnd = (n: number) => before.charCodeAt(before.length - 1 - n) === after.charCodeAt(after.length - 1 - n);
	let prefix = 0;
	let suffix = 0;
	if (caret === undefined || caret === null) {
		while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
		if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) prefix--;
		while (suffix < max - prefix && sameAtEnd(suffix)) suffix++;
		if (suffix > 0 && isLowSurrogate(before.charCodeAt(before.length - suffix))) suffix--;
	} else {
		// The end first, up to the caret, so the change ends where the caret is.
		const suffixCap = Math.max(0, Math.min(max, after.length - caret));
		while (suffix < suffixCap && sameAtEnd(suffix)) suffix++;
		if (suffix > 0 && isLowSurrogate(before.charCodeAt(before.length - suffix))) suffix--;
		while (prefix < max - suffix && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
		if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) prefix--;
	}
	return { index: prefix, remove: before.length - prefix - suffix, insert: after.slice(prefix, after.length - suffix) };
}

function isHighSurrogate(code: number): boolean {
	return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
	return code >= 0xdc00 && code <= 0xdfff;
}

export function bindYText(ytext: Y.Text) {
	return (el: TextField) => {
		const doc = ytext.doc;
		if (!doc) throw new Error('bindYText needs a Y.Text that is part of a document');
		const origin = {};
		let saved: { start: Y.RelativePosition; end: Y.RelativePosition; direction: TextField['selectionDirection'] } | null =
			null;

		el.value = ytext.toString();

		const applyLocal = () => {
			const diff = textDiff(ytext.toString(), el.value, el.selectionStart === el.selectionEnd ? el.selectionEnd : null);
			if (diff.remove === 0 && diff.insert === '') return;
			doc.transact(() => {
				if (diff.remove > 0) ytext.delete(diff.index, diff.remove);
				if (diff.insert !== '') ytext.insert(diff.index, diff.insert);
			}, origin);
		};

		const showRemote = () => {
			const value = ytext.toString();
			if (value === el.value) return;
			const focused = document.activeElement === el;
			el.value = value;
			if (focused && saved) {
				const start = Y.createAbsolutePositionFromRelativePosition(saved.start, doc);
				const end = Y.createAbsolutePositionFromRelativePosition(saved.end, doc);
				if (start && end) el.setSelectionRange(start.index, end.index, saved.direction ?? 'none');
			}
		};

		// Runs before a transaction changes anything: remember where the caret is in Yjs terms.
		const beforeTransaction = (tr: Y.Transaction) => {
			if (tr.origin === origin || document.activeElement !== el) return;
			const start = el.selectionStart ?? 0;
			const end = el.selectionEnd ?? start;
			// A caret (and a selection's end) sticks to the character before it, so what someone
			// else types at the same spot lands after it: two people typing at the end of the notes
			// each keep their own run of letters instead of taking turns letter by letter.
			saved = {
				start: Y.createRelativePositionFromTypeIndex(ytext, start, end === start ? -1 : 0),
				end: Y.createRelativePositionFromTypeIndex(ytext, end, -1),
				direction: el.selectionDirection
			};
		};

		const observer = (_event: Y.YTextEvent, tr: Y.Transaction) => {
			if (tr.origin === origin) return;
			showRemote();
			saved = null;
		};

		doc.on('beforeTransaction', beforeTransaction);
		ytext.observe(observer);
		el.addEventListener('input', applyLocal);
		return () => {
			doc.off('beforeTransaction', beforeTransaction);
			ytext.unobserve(observer);
			el.removeEventListener('input', applyLocal);
		};
	};
}
