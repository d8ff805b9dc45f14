// Stands in for ssh2 in the bundle. docker-modem reads require('ssh2').Client when it loads, but
// only ssh:// endpoints ever construct one; loading ssh2 (and its WASM) up front costs ~12 MB of
// resident memory in every cockpit. The real module loads on the first `new Client()`.
let real;
const load = () => (real ??= require('../node_modules/ssh2/lib/index.js'));

class Client {
  constructor(...args) {
    const RealClient = load().Client;
    return new RealClient(...args);
  }
}

module.exports = { Client };
