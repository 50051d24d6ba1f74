import type { Api, RawApi } from 'grammy';
import OpenAI, { toFile } from 'openai';
import type { Logger } from 'pino';
import type { DownloadFile } from '../bot/telegram-files';
import type { Language } from '../domain/language';
import { keepTyping } from './typing';


/** Why a voice note has no transcript: each is told to the lead honestly, and the voice goes to a manager. */
export type UnheardReason = 'no_key' | 'too_long' | 'too_big' | 'download_failed' | 'timeout' | 'rate_limited' | 'bad_audio' | 'api_error' | 'empty';

/** `maxSeconds`: the configured limit, so the lead can be told it. */
export type TranscriptionResult = { ok: true; text: string } | { ok: false; reason: UnheardReason; detail: string; maxSeconds?: number };

export interface TranscriptionRequest {
  fileId: string;
  messageType: 'voice' | 'video_note';
  durationSeconds: number;
  fileSize?: number;
  language: Language;
  /** The lead's chat: it sees "typing…" while the bot listens. */
  chatId: number;
}

export interface SpeechDeps {
  api: Api<RawApi>;
  logger: Logger;
  /** null without OPENAI_API_KEY: every voice note goes to a manager. */
  openai: OpenAI | null;
  /** Without it (no bot token in this process) nothing can be downloaded: the voice goes to a manager. */
  downloadFile?: DownloadFile;
  /** STT_MODEL. */
  sttModel?: string;
  /** STT_MAX_SECONDS: longer notes are not sent to the provider. */
  maxSeconds?: number;
  /** The Bot API downloads files up to 20 MB. */
  maxBytes?: number;
  timeoutMs?: number;
}

export const DEFAULT_STT_MODEL = 'whisper-1';
export const DEFAULT_STT_MAX_SECONDS = 300;
const TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

/**
 * Speech to text for voice and video notes: getFile, the download, the provider's transcription.
 * Never throws for the provider's or Telegram's sake: a typed failure lets the conversation tell
 * the lead and pass the voice to a manager at once (docs/lead-journey.md).
 */
export function createSpeechActivities({ api, logger, openai, downloadFile, sttModel = DEFAULT_STT_MODEL, maxSeconds = DEFAULT_STT_MAX_SECONDS, maxBytes = TELEGRAM_DOWNLOAD_LIMIT, timeoutMs = 30_000 }: SpeechDeps) {
  return {
    async transcribeVoice(request: TranscriptionRequest): Promise<TranscriptionResult> {
      if (request.durationSeconds > maxSeconds) return { ok: false, reason: 'too_long', detail: `${request.durationSeconds} s > ${maxSeconds} s`, maxSeconds };
      if ((request.fileSize ?? 0) > maxBytes) return { ok: false, reason: 'too_big', detail: `${request.fileSize} bytes > ${maxBytes}`, maxSeconds };
      if (!openai) return { ok: false, reason: 'no_key', detail: 'OPENAI_API_KEY is not set' };
      if (!downloadFile) return { ok: false, reason: 'download_failed', detail: 'no file downloader configured' };
      const typing = await keepTyping(api, request.chatId, logger);
      try {
        let bytes: Buffer;
        try {
          const file = await api.getFile(request.fileId);
          if (!file.file_path) return { ok: false, reason: 'download_failed', detail: 'getFile gave no file_path' };
          bytes = await downloadFile(file.file_path);
        } catch (error) {
          return failed(logger, 'download_failed', error);
        }
        if (bytes.length > maxBytes) return { ok: false, reason: 'too_big', detail: `${bytes.length} bytes > ${maxBytes}`, maxSeconds };
        // Telegram's voice notes are Opus in Ogg (.oga), video notes MP4: both formats the provider takes.
        const name = request.messageType === 'voice' ? 'voice.oga' : 'video_note.mp4';
        try {
          const result = await openai.audio.transcriptions.create({ file: await toFile(bytes, name), model: sttModel, language: request.language }, { timeout: timeoutMs });
          const text = result.text.trim();
          return text ? { ok: true, text: text.slice(0, 4000) } : { ok: false, reason: 'empty', detail: 'the provider heard nothing' };
        } catch (error) {
          return failed(logger, providerReason(error), error);
        }
      } finally {
        typing.stop();
      }
    },
  };
}

export type SpeechActivities = ReturnType<typeof createSpeechActivities>;

function providerReason(error: unknown): UnheardReason {
  if (error instanceof OpenAI.APIConnectionTimeoutError || (error instanceof Error && error.name === 'APIConnectionTimeoutError')) return 'timeout';
  if (error instanceof OpenAI.RateLimitError) return 'rate_limited';
  if (error instanceof OpenAI.BadRequestError) return 'bad_audio';
  return 'api_error';
}

function failed(logger: Logger, reason: UnheardReason, error: unknown): TranscriptionResult {
  const detail = error instanceof Error ? error.message : String(error);
  logger.warn({ reason, detail }, 'voice note not transcribed; a manager will listen');
  return { ok: false, reason, detail: detail.slice(0, 500) };
}
