import { ApiError } from './api/client';
import { hasText, t } from './i18n';

/**
 * A refusal by the server in the words of the screen's user: what went wrong and what to do, in the
 * app's language (the `err_<CODE>` texts of i18n.ts). The server's own message is written for
 * developers (English, field paths, patterns, API paths); it is shown only for a code without a text,
 * and kept in the outbox beside the code.
 */

/** The fields a form sends, by the label the form shows for them (i18n keys). */
const FIELDS: Record<string, string> = {
  reason: 'dismissReason', summary: 'summary', opinion: 'opinionWritten', question: 'consultQuestion', partyId: 'partyIdFirst',
  decisionNo: 'decisionNo', facts: 'facts', party: 'party', legalBasis: 'legalBasis', fineYuan: 'fine', note: 'note',
  secondOfficerId: 'secondOfficer', matterCode: 'matter', description: 'cDescription', newDueAt: 'newDueDate', reply: 'cReply',
};

/** The field a validation message names: `body/reason must …`, `… required property 'opinion'`, `dismiss: reason: …`. */
function fieldOf(message: string): string | undefined {
  const m = /required property '(\w+)'/.exec(message) ?? /^body\/(\w+)/.exec(message) ?? /^\w+: (\w+):/.exec(message);
  return m?.[1];
}

export function refusal(code: string | undefined, message: string): string {
  if (code && hasText(`err_${code}`)) return t(`err_${code}`);
  if (code === 'VALIDATION') {
    const field = fieldOf(message);
    return field && FIELDS[field] ? t('errField', { label: t(FIELDS[field]) }) : t('errNotAccepted', { message });
  }
  return message;
}

/** Any error as the user should read it. */
export function explain(err: unknown): string {
  if (err instanceof ApiError) return refusal(err.code, err.message);
  return err instanceof Error ? err.message : String(err);
}
