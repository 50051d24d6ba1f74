/** Reads the bytes of a file a user sent the bot, by the `file_path` that getFile answers. */
export type DownloadFile = (filePath: string) => Promise<Buffer>;

/** The file a path names could not be fetched from Telegram. */
export class TelegramDownloadError extends Error {
  constructor(
    readonly filePath: string,
    readonly status: number,
  ) {
    super(`downloading ${filePath} from Telegram failed with HTTP ${status}`);
    this.name = 'TelegramDownloadError';
  }
}

/**
 * Telegram serves a file at `<api root>/file/bot<token>/<file_path>`. The token stays inside this
 * closure: the url is never logged.
 */
export function telegramFileDownloader(token: string, apiRoot: string): DownloadFile {
  return async (filePath) => {
    const response = await fetch(`${apiRoot}/file/bot${token}/${filePath}`);
    if (!response.ok) throw new TelegramDownloadError(filePath, response.status);
    return Buffer.from(await response.arrayBuffer());
  };
}
