// Stands in for react-devtools-core in the bundle; Ink only imports it when DEV=true.
export default { connectToDevTools() {} };
export const connectToDevTools = () => {};
