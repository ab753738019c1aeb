import { Category } from '@tsunagu/core';
import { ChannelError } from '@tsunagu/channels';
import { RcsContent, RcsContentSchema, RcsSuggestion } from './rcs-content.schema';

/*
 * Pure translation of an attempt into the body of RBM's `agentMessages.create`
 * (https://developers.google.com/business-communications/rcs-business-messaging/reference/rest/v1/phones.agentMessages).
 */

export type RbmTrafficType = 'AUTHENTICATION' | 'TRANSACTION' | 'PROMOTION';

export const TRAFFIC_TYPE_BY_CATEGORY: Record<Category, RbmTrafficType> = {
  otp: 'AUTHENTICATION',
  transactional: 'TRANSACTION',
  marketing: 'PROMOTION',
};

/** RBM's limit for a text message, in characters (code points). */
export const RBM_TEXT_MAX = 3072;

export type RbmSuggestion =
  | { reply: { text: string; postbackData: string } }
  | { action: { text: string; postbackData: string; openUrlAction: { url: string } } }
  | { action: { text: string; postbackData: string; dialAction: { phoneNumber: string } } };

export interface RbmCardContent {
  title?: string;
  description?: string;
  media?: { height: 'SHORT' | 'MEDIUM' | 'TALL'; contentInfo: { fileUrl: string; forceRefresh: boolean } };
  suggestions?: RbmSuggestion[];
}

export interface RbmContentMessage {
  text?: string;
  richCard?: { standaloneCard: { cardOrientation: 'VERTICAL'; cardContent: RbmCardContent } };
  suggestions?: RbmSuggestion[];
}

export interface RbmAgentMessage {
  contentMessage: RbmContentMessage;
  messageTrafficType: RbmTrafficType;
  /** Duration string: RBM revokes the message itself when it is still undelivered after this. */
  ttl: string;
}

export interface AgentMessageInput {
  text: string;
  category: Category;
  timeoutSeconds: number;
  rcs?: Record<string, unknown> | null;
}

/** Throws a permanent ChannelError when the content cannot be sent as RCS. */
export function buildAgentMessage(input: AgentMessageInput): RbmAgentMessage {
  const content = parseContent(input.rcs);
  const contentMessage: RbmContentMessage = content.card
    ? { richCard: { standaloneCard: { cardOrientation: 'VERTICAL', cardContent: buildCard(content, input.text) } } }
    : { text: checkedText(input.text) };
  if (content.suggestions?.length) contentMessage.suggestions = content.suggestions.map(buildSuggestion);
  return {
    contentMessage,
    messageTrafficType: TRAFFIC_TYPE_BY_CATEGORY[input.category],
    ttl: `${rbmTtlSeconds(input.timeoutSeconds)}s`,
  };
}

/**
 * The engine revokes at the fallback timeout itself (it knows a fallback follows); RBM's own
 * expiry is the backstop for when no worker can. A TTL equal to the timeout would race that
 * revoke, so it runs a little longer: 20% more, at least 5 s.
 */
export function rbmTtlSeconds(timeoutSeconds: number): number {
  const t = Math.max(1, Math.floor(timeoutSeconds));
  return t + Math.max(5, Math.ceil(t * 0.2));
}

export function parseContent(rcs: Record<string, unknown> | null | undefined): RcsContent {
  if (rcs == null) return {};
  const parsed = RcsContentSchema.safeParse(rcs);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw ChannelError.permanent('rcs_content_invalid', `rcs content is invalid at ${where}`);
  }
  return parsed.data;
}

/** RBM's limit on a card's description (the text a card without its own shows may be longer). */
const CARD_DESCRIPTION_MAX = 2000;

/**
 * Cut to `max` characters on a character boundary, with an ellipsis so the reader sees it was
 * cut: slicing UTF-16 units could split an emoji into a lone surrogate, which RBM refuses.
 */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function buildCard(content: RcsContent, text: string): RbmCardContent {
  const card = content.card ?? {};
  const cardContent: RbmCardContent = {};
  if (card.title) cardContent.title = card.title;
  // The plain text is what every channel carries; a card without its own description shows it,
  // so the person reads the same words whichever channel reaches them.
  const description = card.description ?? (text.trim() ? text : undefined);
  if (description) cardContent.description = clip(description, CARD_DESCRIPTION_MAX);
  if (card.mediaUrl) {
    cardContent.media = {
      height: card.mediaHeight ?? 'MEDIUM',
      contentInfo: { fileUrl: card.mediaUrl, forceRefresh: false },
    };
  }
  if (card.suggestions?.length) cardContent.suggestions = card.suggestions.map(buildSuggestion);
  if (!cardContent.title && !cardContent.description && !cardContent.media) {
    throw ChannelError.permanent('rcs_content_invalid', 'a rich card needs a title, a description or media');
  }
  return cardContent;
}

export function buildSuggestion(s: RcsSuggestion): RbmSuggestion {
  // RBM echoes postbackData in the reply; the text is the natural default for our own routing.
  const postbackData = s.postbackData ?? s.text;
  switch (s.type) {
    case 'reply':
      return { reply: { text: s.text, postbackData } };
    case 'open_url':
      return { action: { text: s.text, postbackData, openUrlAction: { url: s.url ?? '' } } };
    case 'dial':
      return { action: { text: s.text, postbackData, dialAction: { phoneNumber: s.phoneNumber ?? '' } } };
  }
}

function checkedText(text: string): string {
  if (!text.trim()) throw ChannelError.permanent('rcs_content_invalid', 'the text is empty');
  if ([...text].length > RBM_TEXT_MAX) {
    throw ChannelError.permanent('rcs_text_too_long', `text longer than ${RBM_TEXT_MAX} characters`);
  }
  return text;
}
