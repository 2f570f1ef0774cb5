// Contact details → Export chat: downloads this conversation as a readable text or JSON file for the
// user's own records (protocol/messenger/export.ts), with the warning, here and in the file, that it is
// not encrypted.
import { useState } from "preact/hooks";
import type { ExportFormat } from "../../../protocol/messenger/export.ts";
import type { AppController } from "../state/controller.ts";
import { describeError } from "../state/error-text.ts";

export function ExportChat({ controller, peer }: { controller: AppController; peer: string }) {
	const [error, setError] = useState<string | null>(null);
	const download = async (format: ExportFormat) => {
		setError(null);
		try {
			const { file, fileName } = await controller.exportChat(peer, format);
			const url = URL.createObjectURL(file);
			const link = document.createElement("a");
			link.href = url;
			link.download = fileName;
			link.click();
			setTimeout(() => URL.revokeObjectURL(url), 60_000);
		} catch (failure) {
			setError(`Nothing was exported: ${describeError(failure)}`);
		}
	};
	return (
		<section class="setting" aria-labelledby="export-title">
			<h3 id="export-title">Export chat</h3>
			<p>
				Downloads this conversation as a file you can read anywhere. The file is{" "}
				<strong>not encrypted</strong>: anyone who gets it can read the conversation.
			</p>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			<div class="form-links">
				<button
					type="button"
					class="button button--ghost button--small"
					onClick={() => void download("text")}
				>
					Export as text
				</button>
				<button
					type="button"
					class="button button--ghost button--small"
					onClick={() => void download("json")}
				>
					Export as JSON
				</button>
			</div>
		</section>
	);
}
