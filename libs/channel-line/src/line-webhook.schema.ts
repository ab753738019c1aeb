/**
 * The webhook body as LINE's webhook.yml (line/line-openapi, Apache-2.0) describes it:
 * `CallbackRequest` (destination + events required), the common `Event` fields, and, for the
 * event types Tsunagu maps, the fields it reads (MessageEvent.message, UserSource.userId,
 * PnpDeliveryCompletionEvent.delivery.data). Other event types pass with only the common fields.
 */
const userSource = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string' }, userId: { type: 'string' } },
} as const;

const typed = (type: string, then: Record<string, unknown>) => ({
  if: { properties: { type: { const: type } } },
  then,
});

export const lineCallbackSchema = {
  type: 'object',
  required: ['destination', 'events'],
  properties: {
    destination: { type: 'string', pattern: '^U[0-9a-f]{32}$' },
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'timestamp', 'mode', 'webhookEventId', 'deliveryContext'],
        properties: {
          type: { type: 'string' },
          source: userSource,
          timestamp: { type: 'integer' },
          mode: { enum: ['active', 'standby'] },
          webhookEventId: { type: 'string', minLength: 1, maxLength: 64 },
          deliveryContext: {
            type: 'object',
            required: ['isRedelivery'],
            properties: { isRedelivery: { type: 'boolean' } },
          },
        },
        allOf: [
          typed('message', {
            required: ['message'],
            properties: {
              message: {
                type: 'object',
                required: ['type', 'id'],
                properties: { type: { type: 'string' }, id: { type: 'string' }, text: { type: 'string' } },
              },
            },
          }),
          typed('delivery', {
            required: ['delivery'],
            properties: {
              delivery: { type: 'object', required: ['data'], properties: { data: { type: 'string' } } },
            },
          }),
        ],
      },
    },
  },
} as const;

/** The parts of a validated webhook body the mapper reads. */
export interface LineWebhookEvent {
  type: string;
  source?: { type: string; userId?: string; groupId?: string; roomId?: string };
  timestamp: number;
  mode: 'active' | 'standby';
  webhookEventId: string;
  deliveryContext: { isRedelivery: boolean };
  message?: {
    type: string;
    id: string;
    text?: string;
    packageId?: string;
    stickerId?: string;
    fileName?: string;
    title?: string;
  };
  delivery?: { data: string };
}

export interface LineCallbackBody {
  destination: string;
  events: LineWebhookEvent[];
}
