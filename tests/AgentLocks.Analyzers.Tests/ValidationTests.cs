using AgentLocks.Analyzers.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using static AgentLocks.Analyzers.Tests.Verify;

namespace AgentLocks.Analyzers.Tests;

public sealed class ValidationTests
{
    private static DiagnosticResult Error(string id) => new(id, DiagnosticSeverity.Error);

    [Fact]
    public Task Valid_declarations_are_silent() => AnalyzerAsync<AttributeValidationAnalyzer>("""
        [AgentIdentity("auth-refactorer")]
        [ReservesScope("src/auth/**")]
        [ReservesScope("docs/auth.md", Mode = ReservationMode.Shared, TtlMinutes = 30)]
        [ReservesScope("src/auth/login.cs", Mode = ReservationMode.Shared, TtlMinutes = 0)]
        [ReservesScope("src/api/**", TtlMinutes = 1440, Name = "Api")]
        [ReservesScope("deploy:prod", TtlMinutes = 5)]
        public partial class AuthRefactorer { }

        [WorkerIdentity("polecat-1")]
        public partial class Polecat { }

        public class Plain { }
        """);

    [Fact]
    public Task Invalid_scope_and_ttl_are_errors() => AnalyzerAsync<AttributeValidationAnalyzer>("""
        [ReservesScope({|#0:"src/../etc"|})]
        [ReservesScope("src/a/**", TtlMinutes = {|#1:4|})]
        [ReservesScope("src/b/**", TtlMinutes = {|#2:1441|})]
        [ReservesScope({|#3:""|})]
        public partial class Agent { }
        """,
        Error("AGL010").WithLocation(0).WithArguments("src/../etc", "must not contain '..' segments (a scope stays inside the repository)"),
        Error("AGL011").WithLocation(1).WithArguments(4),
        Error("AGL011").WithLocation(2).WithArguments(1441),
        Error("AGL010").WithLocation(3).WithArguments("", "must be 1 to 1024 characters long"));

    [Fact]
    public Task Non_partial_class_is_an_error() => AnalyzerAsync<AttributeValidationAnalyzer>("""
        [AgentIdentity("auth-refactorer")]
        public class {|#0:Agent|} { }
        """,
        Error("AGL012").WithLocation(0).WithArguments("Agent", "AgentIdentity"));

    [Fact]
    public Task A_scope_whose_name_is_taken_gets_a_suffix_and_a_warning() => AnalyzerAsync<AttributeValidationAnalyzer>("""
        [ReservesScope("src/auth/**")]
        [{|#0:ReservesScope("src/auth/*", Mode = ReservationMode.Shared)|}]
        [ReservesScope("docs/a.md", Name = "Docs")]
        [{|#1:ReservesScope("docs/b.md", Name = "Docs")|}]
        public partial class Agent { }
        """,
        Diagnostic("AGL013").WithLocation(0).WithArguments("src/auth/*", "SrcAuth2", "SrcAuth", "another scope of 'Agent' takes that name"),
        Diagnostic("AGL013").WithLocation(1).WithArguments("docs/b.md", "Docs2", "Docs", "another scope of 'Agent' takes that name"));

    [Fact]
    public Task Explicit_names_win_over_derived_ones_in_any_order() => AnalyzerAsync<AttributeValidationAnalyzer>("""
        [{|#0:ReservesScope("src/*.cs")|}]
        [ReservesScope("lib/x", Name = "SrcCs")]
        [{|#1:ReservesScope("scopes")|}]
        public partial class Agent { }
        """,
        Diagnostic("AGL013").WithLocation(0).WithArguments("src/*.cs", "SrcCs2", "SrcCs", "another scope of 'Agent' takes that name"),
        Diagnostic("AGL013").WithLocation(1).WithArguments("scopes", "Scopes2", "Scopes", "another scope of 'Agent' takes that name"));

    [Fact]
    public Task A_name_that_is_not_an_identifier_is_reported_at_the_name() => AnalyzerAsync<AttributeValidationAnalyzer>("""
        [ReservesScope("src/api/**", Name = {|#0:"api scope"|})]
        public partial class Agent { }
        """,
        Diagnostic("AGL013").WithLocation(0).WithArguments("src/api/**", "SrcApi", "api scope", "it is not a C# identifier"));

    [Fact]
    public Task Keyword_names_repeated_patterns_and_split_classes_without_collisions_are_silent() => AnalyzerAsync<AttributeValidationAnalyzer>("""
        [ReservesScope("src/events/**", Name = "event")]
        [ReservesScope("docs/**", Mode = ReservationMode.Shared)]
        [ReservesScope("docs/**", Mode = ReservationMode.Shared)]
        public partial class Agent { }

        [ReservesScope("src/a/**")]
        public partial class Split { }

        [ReservesScope("src/b/**")]
        public partial class Split { }
        """);

    [Fact]
    public Task Collisions_across_partial_declarations_are_reported_on_the_later_one() => AnalyzerAsync<AttributeValidationAnalyzer>("""
        [ReservesScope("src/a/**")]
        public partial class Split { }

        [{|#0:ReservesScope("src/a/*", Mode = ReservationMode.Shared)|}]
        public partial class Split { }
        """,
        Diagnostic("AGL013").WithLocation(0).WithArguments("src/a/*", "SrcA2", "SrcA", "another scope of 'Split' takes that name"));

    [Fact]
    public Task Overlapping_exclusive_scopes_are_reported_and_shared_ones_are_not() => AnalyzerAsync<AttributeValidationAnalyzer>("""
        [ReservesScope("src/auth/**")]
        [{|#0:ReservesScope("src/auth/login.cs", Name = "Login")|}]
        [ReservesScope("src/**/*.md", Mode = ReservationMode.Shared)]
        [ReservesScope("src/api/**")]
        public partial class Agent { }
        """,
        Diagnostic("AGL014").WithLocation(0).WithArguments("src/auth/**", "src/auth/login.cs", "Agent"));

    [Fact]
    public Task Invalid_identities_are_errors() => AnalyzerAsync<AttributeValidationAnalyzer>("""
        [AgentIdentity({|#0:"Auth_Refactorer"|})]
        public partial class Agent { }

        [WorkerIdentity({|#1:"-polecat"|})]
        public partial class Worker { }
        """,
        Error("AGL015").WithLocation(0).WithArguments("Auth_Refactorer", "agent id", "must match ^[a-z0-9]+(?:-[a-z0-9]+)*$ (lowercase letters and digits, single dashes between words)"),
        Error("AGL015").WithLocation(1).WithArguments("-polecat", "worker id", "must start with a letter or digit and contain only letters, digits, '.', '_' and '-'"));

    [Fact]
    public Task Parse_of_an_invalid_literal_is_reported() => AnalyzerAsync<LiteralValidationAnalyzer>("""
        public static class C
        {
            private const string Agent = "Bad Agent";

            public static void Run(string input)
            {
                _ = ScopePattern.Parse("src/auth/**");
                _ = AgentId.Parse("auth-refactorer");
                _ = AgentId.Parse(input);
                _ = BeadId.Parse("bd-42");
                _ = ScopePattern.Parse({|#0:"src//auth"|});
                _ = AgentId.Parse({|#1:Agent|});
                _ = BeadId.Parse({|#2:" bd-42"|});
                _ = WorkerId.Parse({|#3:""|});
            }
        }
        """,
        Diagnostic("AGL016").WithLocation(0).WithArguments("src//auth", "scope", "must not contain empty path segments ('//')"),
        Diagnostic("AGL016").WithLocation(1).WithArguments("Bad Agent", "agent id", "must match ^[a-z0-9]+(?:-[a-z0-9]+)*$ (lowercase letters and digits, single dashes between words)"),
        Diagnostic("AGL016").WithLocation(2).WithArguments(" bd-42", "bead id", "must not be empty, nor start or end with white space"),
        Diagnostic("AGL016").WithLocation(3).WithArguments("", "worker id", "must be 1 to 64 characters long"));
}
