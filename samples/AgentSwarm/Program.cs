// The swarm is built by the product issue; until then the sample shows the typed IDs and scopes.
using AgentLocks;

var auth = ScopePattern.Parse("src/auth/**");
var login = ScopePattern.Parse("src/auth/login.cs");
Console.WriteLine($"{auth} overlaps {login}: {auth.Overlaps(login)}");
return 0;
