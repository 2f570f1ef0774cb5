// A file in a message (docs/WEB.md §Files): pictures show their thumbnail inline, and a click fetches,
// checks and decrypts the full picture and shows it in its place; a picture sent without a thumbnail
// (the CLI draws none) gets a placeholder frame saying so, with the same View button; other files are a
// card with the name, size and type and a Download button. Progress is a labelled <progress>; failures say what happened
// ("Expired: …", "Damaged: it does not match what was sent …") and nothing is shown or saved.
import { useState } from "preact/hooks";
import type { AttachmentPointer } from "../../../protocol/messenger/index.ts";
import { isPicture } from "../attachments/web-files.ts";
import { describeError } from "../state/error-text.ts";

export function fileSizeText(bytes: number): string {
	if (bytes < 1000) return `${bytes} bytes`;
	if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
	return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export function AttachmentCard({
	attachment,
	fetchFile,
}: {
	attachment: AttachmentPointer;
	fetchFile: (pointer: AttachmentPointer, onProgress: (done: number, total: number) => void) => Promise<Blob>;
}) {
	const [progress, setProgress] = useState<number | null>(null);
	const [error, setError] = useState<string | null>(null);
	const [picture, setPicture] = useState<string | null>(null);
	const pictureFile = isPicture(attachment.contentType);

	const open = async () => {
		setError(null);
		setProgress(0);
		try {
			const blob = await fetchFile(attachment, (done, total) => setProgress(total === 0 ? 1 : done / total));
			const url = URL.createObjectURL(blob);
			if (pictureFile) setPicture(url);
			else {
				const link = document.createElement("a");
				link.href = url;
				link.download = attachment.name;
				link.click();
				setTimeout(() => URL.revokeObjectURL(url), 60_000);
			}
		} catch (caught) {
			setError(describeError(caught));
		} finally {
			setProgress(null);
		}
	};

	const description = `${attachment.name}, ${fileSizeText(attachment.size)}, ${attachment.contentType}`;
	return (
		<div class="attachment" data-attachment-id={attachment.id}>
			{picture ? (
				<img class="attachment-picture" src={picture} alt={attachment.name} />
			) : pictureFile && attachment.thumbnail ? (
				<button type="button" class="attachment-thumbnail" onClick={() => void open()}>
					<img
						src={`data:image/jpeg;base64,${attachment.thumbnail.replace(/-/g, "+").replace(/_/g, "/")}`}
						alt={`${attachment.name} (preview; select to view the full picture)`}
					/>
				</button>
			) : pictureFile ? (
				<p class="attachment-placeholder">
					<svg aria-hidden="true" viewBox="0 0 24 24" width="32" height="32" focusable="false">
						<rect
							x="3"
							y="4"
							width="18"
							height="16"
							rx="2"
							fill="none"
							stroke="currentColor"
							stroke-width="1.5"
						/>
						<circle cx="9" cy="10" r="2" fill="currentColor" />
						<path d="M4 18l5-5 3 3 3-4 5 6" fill="none" stroke="currentColor" stroke-width="1.5" />
					</svg>
					Picture, no preview
				</p>
			) : null}
			<p class="attachment-name">{attachment.name}</p>
			<p class="attachment-meta">
				{fileSizeText(attachment.size)} · {attachment.contentType}
			</p>
			{picture ? null : (
				<button
					type="button"
					class="button button--small"
					onClick={() => void open()}
					aria-label={`${pictureFile ? "View" : "Download"} ${description}`}
					disabled={progress !== null}
				>
					{pictureFile ? "View" : "Download"}
				</button>
			)}
			{progress !== null ? (
				<progress
					class="attachment-progress"
					max={1}
					value={progress}
					aria-label={`Receiving ${attachment.name}`}
				/>
			) : null}
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
		</div>
	);
}
