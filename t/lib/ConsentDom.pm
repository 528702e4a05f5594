package ConsentDom;

# Runs the gate offline (consentctl filter) and judges its output with
# t/tools/html5-oracle.py, an html5lib (WHATWG) parser nobody here wrote.
#
#   my $g = ConsentDom->new(db => $db, rules => $rules);
#   my $r = $g->filter($site, $cookie, $action, $html);   # {output, removed, neutralized}
#   my $problems = $g->judge(\@cases);                   # { id => [text...] }

use strict;
use warnings;
use Carp qw(croak);
use File::Temp qw(tempdir);
use JSON::PP ();
use ConsentOracle ();
use ConsentTest ();

our $PYTHON = '/usr/bin/python3';    # Debian's, where python3-html5lib lives

sub python_ok {
    return system($PYTHON, '-c', 'import html5lib') == 0;
}

sub new {
    my ($class, %o) = @_;
    my $self = bless { %o, dir => tempdir(CLEANUP => 1), n => 0 }, $class;
    $self->{ctl} = ConsentTest::consentctl_path();
    return $self;
}

sub _run {
    my ($self, @argv) = @_;
    my $out = "$self->{dir}/out";
    my $pid = fork // croak "fork: $!";
    if (!$pid) {
        open STDOUT, '>', $out or die "$out: $!";
        exec @argv or die "exec $argv[0]: $!";
    }
    waitpid $pid, 0;
    croak "@argv: exit " . ($? >> 8) if $?;
    return ConsentTest::read_file($out);
}

# The gate's result for one page: output bytes and the byte offsets it
# reported as removed / neutralized.
sub filter {
    my ($self, $site, $cookie, $action, $html) = @_;
    my $in = "$self->{dir}/in.html";
    ConsentTest::write_file($in, $html);
    my @argv = ($self->{ctl}, 'filter', '--db', $self->{db}, '--site', $site,
                '--action', $action);
    push @argv, '--consent', $cookie if defined $cookie;
    my $output = $self->_run(@argv, $in);
    my (@removed, @neutralized);
    for my $line (split /\n/, $self->_run(@argv, '--report', $in)) {
        my ($at, $what) = $line =~ /^(\d+) \S+ \S+ (\w+)$/
            or croak "unexpected report line: $line";
        push @removed, 0 + $at if $what eq 'removed';
        push @neutralized, 0 + $at if $what eq 'neutralized';
    }
    return { output => $output, removed => \@removed, neutralized => \@neutralized };
}

# A case for judge(): what the gate did with $html on $site for $cookie.
sub case {
    my ($self, $id, $site, $cookie, $action, $html) = @_;
    my $r = $self->filter($site, $cookie, $action, $html);
    my ($hosts, $sigs) = ConsentOracle::blocked_for($self->{rules}, $site, $cookie);
    return { id => $id, input => $html, action => $action, %$r,
             blocked_hosts => $hosts, signatures => $sigs };
}

# html5lib's verdict on every case: { id => [problems] }.  Strings go over
# JSON one byte per code point (ascii-escaped), the oracle reads them back
# the same way.
sub judge {
    my ($self, $cases) = @_;
    my $req = "$self->{dir}/req.json";
    my $json = JSON::PP->new->ascii->canonical;
    ConsentTest::write_file($req, $json->encode({ cases => $cases }));
    my $script = ConsentTest::repo_root() . '/t/tools/html5-oracle.py';
    my $pid = fork // croak "fork: $!";
    if (!$pid) {
        open STDIN, '<', $req or die "$req: $!";
        open STDOUT, '>', "$self->{dir}/res.json" or die "res.json: $!";
        exec $PYTHON, $script or die "exec $PYTHON: $!";
    }
    waitpid $pid, 0;
    croak "html5-oracle.py: exit " . ($? >> 8) if $?;
    my $res = $json->decode(ConsentTest::read_file("$self->{dir}/res.json"));
    croak "html5-oracle.py: no answer for $_->{id}" for grep { !$res->{ $_->{id} } } @$cases;
    return $res;
}

1;
