import { z } from 'zod';

/*
 * The `rcs` object of a message request: what RCS can carry beyond the plain text. Limits are
 * RBM's own (suggestion text 25 chars, postback data 2048, card title 200, description 2000,
 * 4 suggestions on a card, 11 on a message), so a request RBM would refuse is refused at the API
 * with a clear path instead of failing later as a permanent send error.
 */

const E164 = /^\+[1-9]\d{6,14}$/;

const SuggestionSchema = z
  .object({
    type: z.enum(['reply', 'open_url', 'dial']),
    text: z.string().trim().min(1).max(25),
    postbackData: z.string().min(1).max(2048).optional(),
    url: z.string().max(2048).optional(),
    phoneNumber: z.string().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.type === 'open_url') {
      if (!s.url || !isHttpUrl(s.url)) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'open_url needs an http(s) url' });
      }
    } else if (s.url !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: `url is only for open_url, not ${s.type}` });
    }
    if (s.type === 'dial') {
      if (!s.phoneNumber || !E164.test(s.phoneNumber)) {
        ctx.addIssue({ code: 'custom', path: ['phoneNumber'], message: 'dial needs an E.164 phoneNumber' });
      }
    } else if (s.phoneNumber !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['phoneNumber'], message: `phoneNumber is only for dial, not ${s.type}` });
    }
  });

const CardSchema = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().trim().min(1).max(2000).optional(),
    /** Public https URL RBM fetches the image or video from. */
    mediaUrl: z
      .string()
      .max(2048)
      .refine((v) => isHttpUrl(v, true), 'mediaUrl must be an https URL')
      .optional(),
    mediaHeight: z.enum(['SHORT', 'MEDIUM', 'TALL']).optional(),
    suggestions: z.array(SuggestionSchema).max(4).optional(),
  })
  .strict();

export const RcsContentSchema = z
  .object({
    card: CardSchema.optional(),
    /** Chips under the message (or under the card). */
    suggestions: z.array(SuggestionSchema).max(11).optional(),
  })
  .strict();

export type RcsSuggestion = z.infer<typeof SuggestionSchema>;
export type RcsCard = z.infer<typeof CardSchema>;
export type RcsContent = z.infer<typeof RcsContentSchema>;

function isHttpUrl(value: string, httpsOnly = false): boolean {
  try {
    const url = new URL(value);
    return httpsOnly ? url.protocol === 'https:' : url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
