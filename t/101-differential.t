# Differential fuzzing: seeded random documents (t/lib/ConsentFuzz.pm)
# through `consentctl filter`, judged by html5lib (t/tools/html5-oracle.py):
# every byte outside removed elements kept, each removed element exactly one
# whole tracker element of html5lib's tree, nothing first-party touched
# (text of a textarea, a comment, an attribute value ...), no tracker left.
# A subset is replayed through nginx under the harness's splits: the module
# must give consentctl's bytes whatever the chunking.
#
#   CONSENT_FUZZ_DOCS=5000 CONSENT_FUZZ_SEED=42 PERL5LIB=t/lib prove -v t/101-differential.t
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use ConsentOracle;
use ConsentDom;
use ConsentFuzz;

plan skip_all => "$ConsentDom::PYTHON with html5lib missing (make deps)"
    unless ConsentDom::python_ok();

my $DOCS   = $ENV{CONSENT_FUZZ_DOCS} // 200;
my $SEED   = $ENV{CONSENT_FUZZ_SEED} // 20261206;
my $SPLIT  = 8;                         # documents also replayed through nginx
my $SITE   = 'air-booking';
my @CONSENT = ('none', 'none', 'all', 'meta', 'google,x', 'advertising');
note "seed $SEED, $DOCS documents";

my $rules = ConsentOracle::load_rules(repo_root() . '/rules/ana.yaml');
my $db    = rules_db();
my $gate  = ConsentDom->new(db => $db, rules => $rules);

sub corpus {
    my ($seed, $n, $gaps) = @_;
    my $f = ConsentFuzz->new(seed => $seed, gaps => $gaps);
    my @cases;
    for my $i (1 .. $n) {
        my $html    = $f->document;
        my $cookie  = $CONSENT[ $f->rnd(scalar @CONSENT) ];
        my $action  = $f->rnd(4) ? 'strip' : 'neutralize';
        push @cases, $gate->case("doc $i (seed $seed, consent=$cookie, $action)",
                                 $SITE, $cookie, $action, $html);
    }
    return @cases;
}

my @clean = corpus($SEED, $DOCS, 0);
my $verdict = $gate->judge(\@clean);
my $bad = 0;
for my $c (@clean) {
    my $p = $verdict->{ $c->{id} };
    next unless @$p;
    $bad++;
    fail("$c->{id}: html5lib agrees");
    diag("input:  $c->{input}\noutput: $c->{output}\n" . join "\n", @$p);
}
is($bad, 0, "$DOCS random documents: the gate's element boundaries agree with html5lib");
my $removed = 0;
$removed += @{ $_->{removed} } + @{ $_->{neutralized} } for @clean;
cmp_ok($removed, '>=', $DOCS, "the corpus exercises removals ($removed elements)");

# The same generator with the constructs the gate gets wrong today
# (t/102-tokenizer-conformance.t names each): reported, not failed.
{
    my @gaps = corpus($SEED + 1, int($DOCS / 10) || 1, 1);
    my $v = $gate->judge(\@gaps);
    my @wrong = grep { @{ $v->{ $_->{id} } } } @gaps;
    note "known-gap corpus: " . scalar(@wrong) . ' of ' . scalar(@gaps) . ' documents disagree';
    local $TODO = 'a tracker <img> ending foreign content, stripped, leaves what follows in '
                . 'SVG/MathML (t/102 names it)';
    is(scalar @wrong, 0, 'documents with the known foreign-content gap agree with html5lib');
}

# Split-independence: the module in nginx gives consentctl's bytes under
# 1-byte, 7-byte and random chunking.
my @replay;
for my $c (grep { $_->{action} eq 'strip' } @clean[0 .. ($SPLIT * 2 < @clean ? $SPLIT * 2 : @clean) - 1]) {
    last if @replay == $SPLIT;
    push @replay, { name => "replay $c->{id}", body => $c->{input},
                    cookie => $c->{id} =~ /consent=(\S+?),? / ? $1 : 'none',
                    location => "consent on; consent_site $SITE;",
                    expect => { body => $c->{output} } };
}
run_cases({ http => "consent_rules $db;\nconsent_cookie consent;" }, \@replay);

done_testing();
