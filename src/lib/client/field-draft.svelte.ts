/**
 * A document field while someone edits it, for RoomHeader (the title) and DraftTextField (the
 * stakeholder summary, the cause). The field becomes one document change when saved (Enter, or leaving
 * the field), not one per keystroke, so until then the person holds a draft nobody else sees.
 *
 * The draft remembers the value it started from. If the room's value moves away from that while
 * the draft is unsaved, someone else changed it: `conflict` turns true and the field shows their
 * value next to the draft. Neither side wins silently: leaving the field does not save over
 * theirs; the person chooses (save keeps theirs out, undo takes theirs).
 */
export class FieldDraft {
	/** The unsaved text, or null when the field shows the room's value as it is. */
	text = $state<string | null>(null);
	/** The room's value when the draft began. */
	base = $state('');

	constructor(
		/** The room's value now. */
		private readonly current: () => string,
		private readonly commit: (value: string) => void,
		/** A title cannot be empty (an emptied draft is dropped); a summary can. */
		private readonly options: { allowEmpty?: boolean } = {}
	) {}

	/** What the field shows. */
	get value(): string {
		return this.text ?? this.current();
	}

	get dirty(): boolean {
		return this.text !== null;
	}

	/** Someone else changed the value since this draft began. */
	get conflict(): boolean {
		return this.text !== null && this.current() !== this.base;
	}

	input(value: string): void {
		if (this.text === null) this.base = this.current();
		// Typing back to where it began is no change: the field follows the room again.
		this.text = value === this.base ? null : value;
	}

	/** Saves the draft (an empty one only where the field may be empty). */
	save(): void {
		if (this.text === null) return;
		const value = this.text.trim();
		this.text = null;
		if ((value !== '' || this.options.allowEmpty) && value !== this.current()) this.commit(value);
	}

	undo(): void {
		this.text = null;
	}

	/** Leaving the field saves, unless that would overwrite a value someone else just set. */
	/**
	 * The keys every draft field shares: Enter saves, Esc undoes an unsaved draft. With
	 * `newlines`, Shift+Enter is left to the field to start a new line.
	 */
	keydown(event: KeyboardEvent, newlines = false): void {
		if (event.key === 'Enter' && !(newlines && event.shiftKey) && !event.isComposing) {
			event.preventDefault();
			this.save();
		} else if (event.key === 'Escape' && this.dirty) {
			event.preventDefault();
			this.undo();
		}
	}

	leave(): void {
		if (!this.conflict) this.save();
	}
}
