// Components rendered with ink-testing-library: what the operator reads in the dialog and footer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { render } from 'ink-testing-library';
import { ConfirmDialog, Flash } from '../../views/Dialog.js';
import { Footer } from '../../views/Chrome.js';
import { ThemeContext, makeTheme } from '../../views/theme.js';

const plain = (node: React.ReactElement) => render(<ThemeContext.Provider value={makeTheme(false)}>{node}</ThemeContext.Provider>);

describe('confirmation dialog', () => {
  it('states what will happen, with Cancel focused and y to confirm', () => {
    const { lastFrame } = plain(<ConfirmDialog width={90} typed="" confirmation={{ title: 'Restart shop-api-1?', verb: 'restart', lines: ['shop-api-1 (project shop, service api) — currently running for 3h'] }} />);
    const frame = lastFrame() ?? '';
    assert.match(frame, /Restart shop-api-1\?/);
    assert.match(frame, /project shop, service api/);
    assert.match(frame, /Cancel +y = restart +any other key cancels/);
  });

  it('a destructive action shows the name to type and what was typed so far', () => {
    const { lastFrame } = plain(<ConfirmDialog width={90} typed="shop-d" confirmation={{ title: 'Stop shop-db-1?', verb: 'stop', typeToConfirm: 'shop-db-1', lines: [] }} />);
    const frame = lastFrame() ?? '';
    assert.match(frame, /Type shop-db-1 and press Enter to stop\. Esc cancels\./);
    assert.match(frame, /> shop-d█/);
    assert.doesNotMatch(frame, /y = stop/);
  });

  it('neutralises escape sequences in the text it is given', () => {
    const { lastFrame } = plain(<ConfirmDialog width={90} typed="" confirmation={{ title: 'Restart x?', verb: 'restart', lines: ['label \x1b]0;pwned\x07 \x1b[2Jend'] }} />);
    const frame = lastFrame() ?? '';
    assert.ok(!frame.includes('\u001b]0;') && !frame.includes('\u001b[2J') && !frame.includes('\u0007'), 'no OSC, no clear-screen, no BEL');
    assert.match(frame, /label +end/);
  });
});

describe('footer and flash', () => {
  it('read-only marks mutating keys unavailable', () => {
    const { lastFrame } = plain(<Footer scopes={['global', 'list', 'overview']} width={200} readOnly />);
    assert.match(lastFrame() ?? '', /r restart \(read-only\)/);
    assert.match(lastFrame() ?? '', /\? help/);
  });

  it('the flash line says what happened', () => {
    const { lastFrame } = plain(<Flash width={80} flash={{ level: 'error', text: 'restart failed: no such container', until: Date.now() + 1000 }} />);
    assert.match(lastFrame() ?? '', /✗ restart failed: no such container/);
  });
});
