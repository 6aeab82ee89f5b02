// Starts the bench's child processes and talks to them over Node's IPC channel.
//
// Every measured worker or producer is a fresh process: a warm JIT, a grown heap or module-level
// state left over from one contender can then never flatter or penalise the next one.
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * Forks bench/<script> with one JSON argument. Returns a handle whose `request(cmd)` sends a
 * command and resolves with the child's reply of the same `id`, and whose `next(type)` resolves
 * with the next unsolicited message of that type (for example 'ready' or 'started').
 */
export function startChild(script, config, { timeoutMs = 120_000 } = {}) {
  const child = fork(join(here, script), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // The children must not inherit the orchestrator's inspector or loader flags.
    execArgv: [],
  });
  const waiting = new Map(); // message type or reply id -> resolvers
  const queued = new Map(); // messages that arrived before anyone waited for them
  let exitError;
  let nextId = 1;

  const deliver = (key, message) => {
    const list = waiting.get(key);
    if (list?.length) list.shift().resolve(message);
    else queued.set(key, [...(queued.get(key) ?? []), message]);
  };
  child.on('message', (message) => {
    if (message.type === 'error') {
      exitError = new Error(`${script} (${config.contender}) failed: ${message.message}`);
      for (const list of waiting.values()) for (const w of list.splice(0)) w.reject(exitError);
      return;
    }
    deliver(message.replyTo ?? message.type, message);
  });
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exitError ??= code === 0 ? new Error(`${script} exited`) : new Error(`${script} (${config.contender}) exited with ${code ?? signal}`);
      for (const list of waiting.values()) for (const w of list.splice(0)) w.reject(exitError);
      resolve({ code, signal });
    });
  });

  const wait = (key) => {
    const early = queued.get(key);
    if (early?.length) return Promise.resolve(early.shift());
    if (exitError && child.exitCode !== null) return Promise.reject(exitError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} (${config.contender}): no '${key}' within ${timeoutMs} ms`)), timeoutMs);
      const entry = {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      waiting.set(key, [...(waiting.get(key) ?? []), entry]);
    });
  };

  return {
    pid: child.pid,
    next: (type) => wait(type),
    request(command) {
      const id = nextId++;
      child.send({ ...command, id });
      return wait(id);
    },
    /** Sends a command without waiting for its reply. */
    send: (command) => child.send(command),
    exited,
    /** Why the child ended, once it has: its reported error, or its exit code. */
    failure: () => exitError,
    kill: () => child.exitCode === null && child.kill('SIGKILL'),
  };
}

/**
 * The child's side: runs `handlers[message.cmd]` for each command and replies with its result.
 * An uncaught failure is reported to the parent and ends the child with a non-zero code.
 */
export function serveParent(handlers) {
  const fail = (error) => {
    console.error(error);
    process.send?.({ type: 'error', message: error?.stack ?? String(error) });
    setTimeout(() => process.exit(1), 50);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  // The parent died (or closed the channel): nothing will ever ask this child to stop.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (message) => {
    try {
      const handler = handlers[message.cmd];
      if (!handler) throw new Error(`unknown command ${message.cmd}`);
      const result = await handler(message);
      // A handler returning { exit: true } ends the child once its reply is on the way.
      process.send({ ...result, replyTo: message.id }, () => result?.exit && process.exit(0));
    } catch (error) {
      fail(error);
    }
  });
}

/** The JSON config a child was started with. */
export function childConfig() {
  return JSON.parse(process.argv[2]);
}
