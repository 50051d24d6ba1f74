import type { OutboundContent } from './conversation';
import { encodeButton } from './callback-data';
import { normalisePhone, validEmail, validName } from './contact';

/** Callback scope of the form's buttons: `cf:skip_email`. */
export const FORM_SCOPE = 'cf';
/** A form untouched this long becomes an "incomplete" lead card for the managers. */
export const FORM_ABANDON_MS = 10 * 60_000;

export interface ContactFormTexts {
  askPhone: string;
  sharePhoneButton: string;
  badPhone: string;
  foreignContact: string;
  askName: string;
  badName: string;
  askEmail: string;
  skipEmailButton: string;
  badEmail: string;
  done: string;
}

export type FormPhase = 'idle' | 'phone' | 'name' | 'email';

export interface ContactForm {
  phase: FormPhase;
  phone?: string;
  name?: string;
}

export type FormEffect =
  | { kind: 'send'; content: OutboundContent }
  | { kind: 'setForm'; form: ContactForm }
  | { kind: 'submit'; phone: string; name: string; email: string | null };

const IDLE: ContactForm = { phase: 'idle' };

/** "Leave a request": the phone first (typed or shared), then the name, then an optional e-mail. */
export function startForm(texts: ContactFormTexts): FormEffect[] {
  return [{ kind: 'setForm', form: { phase: 'phone' } }, askPhone(texts)];
}

/** Text while the form waits for an answer; undefined when the form is not open (the text goes on as usual). */
export function onFormText(texts: ContactFormTexts, form: ContactForm, text: string): FormEffect[] | undefined {
  switch (form.phase) {
    case 'idle':
      return undefined;
    case 'phone': {
      const phone = normalisePhone(text);
      if (!phone) return [{ kind: 'send', content: { type: 'text', text: texts.badPhone, contactRequest: texts.sharePhoneButton } }];
      return afterPhone(texts, phone);
    }
    case 'name': {
      const name = validName(text);
      if (!name) return [{ kind: 'send', content: { type: 'text', text: texts.badName } }];
      return [{ kind: 'setForm', form: { ...form, phase: 'email', name } }, askEmail(texts)];
    }
    case 'email': {
      const email = validEmail(text);
      if (!email) return [{ kind: 'send', content: { ...askEmail(texts).content, text: texts.badEmail } as OutboundContent }];
      return submit(texts, form, email);
    }
  }
}

/** A shared contact while the form asks for the phone; only the sender's own number counts. */
export function onFormContact(texts: ContactFormTexts, form: ContactForm, contact: { phoneNumber: string; userId?: number }, senderId: number): FormEffect[] | undefined {
  if (form.phase !== 'phone') return undefined;
  if (contact.userId !== senderId) return [{ kind: 'send', content: { type: 'text', text: texts.foreignContact, contactRequest: texts.sharePhoneButton } }];
  const phone = normalisePhone(contact.phoneNumber.startsWith('+') ? contact.phoneNumber : `+${contact.phoneNumber}`) ?? normalisePhone(contact.phoneNumber);
  if (!phone) return [{ kind: 'send', content: { type: 'text', text: texts.badPhone, contactRequest: texts.sharePhoneButton } }];
  return afterPhone(texts, phone);
}

/** The form's own buttons (skip the e-mail); undefined for a press that does not fit. */
export function onFormButton(texts: ContactFormTexts, form: ContactForm, buttonId: string): FormEffect[] | undefined {
  if (buttonId === 'skip_email' && form.phase === 'email') return submit(texts, form, null);
  return undefined;
}

function afterPhone(texts: ContactFormTexts, phone: string): FormEffect[] {
  return [
    { kind: 'setForm', form: { phase: 'name', phone } },
    { kind: 'send', content: { type: 'text', text: texts.askName, removeKeyboard: true } },
  ];
}

function submit(texts: ContactFormTexts, form: ContactForm, email: string | null): FormEffect[] {
  return [
    { kind: 'setForm', form: IDLE },
    { kind: 'submit', phone: form.phone ?? '', name: form.name ?? '', email },
    { kind: 'send', content: { type: 'text', text: texts.done } },
  ];
}

function askPhone(texts: ContactFormTexts): FormEffect {
  return { kind: 'send', content: { type: 'text', text: texts.askPhone, contactRequest: texts.sharePhoneButton } };
}

function askEmail(texts: ContactFormTexts): Extract<FormEffect, { kind: 'send' }> {
  return {
    kind: 'send',
    content: { type: 'text', text: texts.askEmail, buttons: [[{ text: texts.skipEmailButton, data: encodeButton(FORM_SCOPE, 'skip_email') }]] },
  };
}
