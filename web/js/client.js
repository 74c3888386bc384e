// client.js - the main thread's side of the worker protocol (see worker.js).
export class WorkerClient {
  constructor(url) {
    this.pending = new Map();
    this.nextId = 1;
    this.ready = new Promise((resolve, reject) => { this.resolveReady = resolve; this.rejectReady = reject; });
    this.worker = new Worker(url, { type: 'module' });
    this.worker.onmessage = (event) => this.receive(event.data);
    this.worker.onerror = (event) => {
      const message = `the worker failed to start: ${event.message || 'script error'}`;
      this.rejectReady(new Error(message));
      for (const { reject } of this.pending.values()) reject(new Error(message));
      this.pending.clear();
    };
  }

  receive(msg) {
    if (msg.type === 'ready') return this.resolveReady(msg.info);
    if (msg.type === 'failed') return this.rejectReady(new Error(msg.error));
    const waiter = this.pending.get(msg.id);
    if (!waiter) return;
    this.pending.delete(msg.id);
    if (msg.ok) waiter.resolve(msg.result);
    else waiter.reject(new Error(msg.error));
  }

  // `transfer`: ArrayBuffers inside args to move to the worker rather than copy.
  async call(op, args = {}, transfer = []) {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }
}

// Wrap an async function so that while one call runs, only the newest request
// waits behind it: dragging a slider asks for many frames but computes few.
export function latestOnly(fn) {
  let running = false, queued = null;
  const run = async (args) => {
    running = true;
    try {
      await fn(args);
    } finally {
      running = false;
      if (queued) { const next = queued; queued = null; run(next.args); }
    }
  };
  return (args) => {
    if (running) queued = { args };
    else run(args);
  };
}
