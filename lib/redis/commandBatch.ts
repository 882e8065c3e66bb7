import type { Redis } from 'ioredis';

type Argument = string | number | Buffer;

interface Queued {
  command: string;
  args: Argument[];
  resolve: (reply: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Commands asked for during one turn of the event loop leave in one socket write: each is queued,
 * and once the turn's I/O callbacks have run (`setImmediate`) the queue goes out as one ioredis
 * pipeline (not a transaction: each command keeps its own reply or error, and Redis runs them one
 * after the other as if sent apart). A lone command goes as it is. Requests that arrive together on
 * different sockets (the gateway's cache hits under load) then cost one `write` to Redis instead of
 * one each, and Redis reads them and answers them in one go too. Replies come back as Buffers.
 */
export class CommandBatch {
  #queue: Queued[] = [];

  constructor(private readonly client: Redis) {}

  callBuffer(command: string, ...args: Argument[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.#queue.push({ command, args, resolve, reject }) === 1) setImmediate(this.#flush);
    });
  }

  readonly #flush = (): void => {
    const queue = this.#queue;
    this.#queue = [];
    if (queue.length === 1) {
      const [only] = queue as [Queued];
      this.client.callBuffer(only.command, ...only.args).then(only.resolve, only.reject);
      return;
    }
    const pipeline = this.client.pipeline();
    for (const { command, args } of queue) pipeline.callBuffer(command, ...args);
    pipeline.exec().then(
      (results) => {
        queue.forEach((queued, i) => {
          const [error, reply] = results?.[i] ?? [new Error('No reply to a batched Redis command'), null];
          if (error) queued.reject(error);
          else queued.resolve(reply);
        });
      },
      (error: unknown) => {
        for (const queued of queue) queued.reject(error);
      },
    );
  };
}

const batches = new WeakMap<Redis, CommandBatch>();

/** The one batch of a client: everything sent through it in one turn shares a write. */
export function commandBatchOf(client: Redis): CommandBatch {
  let batch = batches.get(client);
  if (!batch) batches.set(client, (batch = new CommandBatch(client)));
  return batch;
}
