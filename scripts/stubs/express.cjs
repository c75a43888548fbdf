// Stand-in for express inside the bundle. Bolt loads express only for its
// ExpressReceiver, which Otto never builds (it uses Socket Mode or Bolt's plain
// HTTPReceiver); leaving express and its dependencies out saves memory at start.
function express() {
  throw new Error('express is not bundled with Otto (ExpressReceiver is not used)');
}
express.Router = express;
module.exports = express;
