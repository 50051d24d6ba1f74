/**
 * The part of the YooKassa API (yookassa.ru/developers/api) the adapter needs: a payment or a
 * refund as YooKassa has it, and a new payment with its page. Basic auth: shopId and secret key.
 */
export interface YooKassaAmount {
  value: string;
  currency: string;
}

export interface YooKassaPayment {
  id: string;
  status: 'pending' | 'waiting_for_capture' | 'succeeded' | 'canceled';
  paid: boolean;
  amount: YooKassaAmount;
  metadata?: Record<string, string>;
  cancellation_details?: { party?: string; reason?: string };
  confirmation?: { type: string; confirmation_url?: string; return_url?: string };
  test?: boolean;
}

export interface YooKassaRefund {
  id: string;
  payment_id: string;
  status: 'pending' | 'succeeded' | 'canceled';
  amount: YooKassaAmount;
}

export interface YooKassaSettings {
  shopId: string;
  secretKey: string;
  /** https://api.yookassa.ru/v3, or a fake in tests. */
  apiBase: string;
}

/** What YooKassa answered other than the object: 404 means it has no such object. */
export class YooKassaApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(`YooKassa API answered ${status}${code ? ` (${code})` : ''}`);
    this.name = 'YooKassaApiError';
  }
}

export class YooKassaApi {
  constructor(
    private readonly settings: YooKassaSettings,
    private readonly timeoutMs = 10_000,
  ) {}

  getPayment(id: string): Promise<YooKassaPayment> {
    return this.call('GET', `payments/${encodeURIComponent(id)}`);
  }

  getRefund(id: string): Promise<YooKassaRefund> {
    return this.call('GET', `refunds/${encodeURIComponent(id)}`);
  }

  /** The same idempotence key within 24 hours returns the same payment rather than a second one. */
  createPayment(
    request: { amount: YooKassaAmount; description: string; returnUrl: string; metadata: Record<string, string> },
    idempotenceKey: string,
  ): Promise<YooKassaPayment> {
    const body = {
      amount: request.amount,
      capture: true,
      confirmation: { type: 'redirect', return_url: request.returnUrl },
      description: request.description.slice(0, 128),
      metadata: request.metadata,
    };
    return this.call('POST', 'payments', body, idempotenceKey);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, idempotenceKey?: string): Promise<T> {
    const auth = Buffer.from(`${this.settings.shopId}:${this.settings.secretKey}`).toString('base64');
    const response = await fetch(`${this.settings.apiBase.replace(/\/+$/, '')}/${path}`, {
      method,
      headers: {
        authorization: `Basic ${auth}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(idempotenceKey && { 'idempotence-key': idempotenceKey }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const json = (await response.json().catch(() => undefined)) as (T & { type?: string; code?: string }) | undefined;
    if (!response.ok || json === undefined) throw new YooKassaApiError(response.status, json?.code);
    return json;
  }
}
