// The REST client's agents are bounded: a rotated client certificate's agent is retired once
// MAX_AGENTS newer identities have come, and an identity still in use is kept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Agents, MAX_AGENTS } from '../../../runtime/agents.ts';

/** A TLS identity told apart by its server name (real PEM is not needed to make an agent). */
const identity = (n: number) => ({ servername: `identity-${n}` });

describe('Agents', () => {
  it('gives the same agent to the same identity', () => {
    const agents = new Agents();
    assert.equal(agents.agentFor(true, identity(1)), agents.agentFor(true, identity(1)));
    assert.notEqual(agents.agentFor(true, identity(1)), agents.agentFor(true, identity(2)));
    agents.close();
  });

  it('retires the agent of an identity no longer used, and keeps the one used lately', () => {
    const agents = new Agents();
    const first = agents.agentFor(true, identity(0));
    const second = agents.agentFor(true, identity(1));
    for (let n = 2; n < MAX_AGENTS; n++) agents.agentFor(true, identity(n));
    // The second identity is used again: the first is now the least recently used.
    agents.agentFor(true, identity(0));
    agents.agentFor(true, identity(1));
    agents.agentFor(true, identity(MAX_AGENTS));
    assert.equal(agents.agentFor(true, identity(1)), second, 'an identity in use keeps its agent');
    assert.notEqual(first.maxFreeSockets, 0, 'the first identity was used lately too');
    agents.agentFor(true, identity(MAX_AGENTS + 1));
    agents.agentFor(true, identity(MAX_AGENTS + 2));
    assert.equal(first.maxFreeSockets, 0, 'retired: its sockets close when they come free');
    assert.notEqual(agents.agentFor(true, identity(0)), first, 'a retired identity gets a new agent');
    agents.close();
  });
});
