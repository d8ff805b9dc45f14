// Stands in for is-in-ci in the bundle. Ink reads CI=true at load time and then draws only the last
// frame, on exit. The cockpit runs only on a terminal (it checks), where CI=true — a build box, an
// inherited shell variable, our own test runs — must not blank the screen.
export default false;
