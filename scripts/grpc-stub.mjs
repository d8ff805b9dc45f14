// Stands in for @grpc/grpc-js and @grpc/proto-loader in the bundle. dockerode loads them for
// BuildKit build sessions, which opsdeck never opens; leaving them out saves load time and memory.
const unused = () => { throw new Error('BuildKit sessions are not part of opsdeck'); };
export const loadPackageDefinition = unused;
export const loadSync = unused;
export const credentials = {};
export const Server = class { constructor() { unused(); } };
export const ServerCredentials = {};
export default { loadPackageDefinition, loadSync, credentials, Server, ServerCredentials };
