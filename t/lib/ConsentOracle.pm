package ConsentOracle;

# The test oracle, independent of the C code:
#   * reads rules/ana.yaml (a small reader for exactly the shapes that file
#     uses; anything unexpected dies loudly rather than guessing),
#   * reads a fixture manifest t/fixtures/<site>.json,
#   * computes the expected stripped page for a consent cookie value by
#     removing the manifest's exact element bytes, and the expected set of
#     $consent_blocked ids.
#
# Semantics encoded here (from the module spec):
#   cookie value: items separated by "," "|" or "%2C"; "all" grants every
#   declared recipient, "none" nothing; an item is a recipient id or a purpose
#   category (granting the declared recipients whose category for this site
#   is that one); anything else grants nothing.  A recipient the site does not
#   declare is never allowed.  An element tied to several recipients stays only
#   if all are allowed.  A <noscript> whose content is only recipient pixels is
#   removed whole when all its pixels go, else its pixels are judged one by one.

use strict;
use warnings;
use Carp qw(croak);
use File::Basename ();
use JSON::PP ();

sub _read {
    my ($path) = @_;
    open my $fh, '<:raw', $path or croak "open $path: $!";
    local $/;
    my $d = <$fh>;
    return $d;
}

sub _unquote {
    my ($v) = @_;
    $v =~ s/^\s+|\s+$//g;
    if ($v =~ /^'(.*)'$/s) {
        my $s = $1;
        $s =~ s/''/'/g;
        return $s;
    }
    if ($v =~ /^"(.*)"$/s) {
        my $s = $1;
        $s =~ s/\\(.)/$1/g;
        return $s;
    }
    return $v;
}

# Strips a trailing " # comment" outside quotes.
sub _nocomment {
    my ($v) = @_;
    my $out = '';
    my $q = '';
    for my $i (0 .. length($v) - 1) {
        my $ch = substr($v, $i, 1);
        if ($q) {
            $q = '' if $ch eq $q;
        } elsif ($ch eq "'" || $ch eq '"') {
            $q = $ch;
        } elsif ($ch eq '#' && ($i == 0 || substr($v, $i - 1, 1) =~ /\s/)) {
            last;
        }
        $out .= $ch;
    }
    $out =~ s/\s+$//;
    return $out;
}

# load_rules($path) -> {
#   recipients => { id => { category, hosts => [...], signatures => [...], app_only } },
#   recipient_order => [ids], sites => { id => { declares => { rid => category } } },
#   site_order => [ids], categories => { name => 1 } }
sub load_rules {
    my ($path) = @_;
    my $text = _read($path);
    my (%rec, @rorder, %site, @sorder);
    my ($section, $cur, $list, $cursite, $curdecl);
    my $ln = 0;
    for my $raw (split /\n/, $text) {
        $ln++;
        next if $raw =~ /^\s*(#.*)?$/;
        my $line = _nocomment($raw);
        next if $line =~ /^\s*$/;
        if ($line =~ /^(\w+):\s*(.*)$/) {
            $section = $1;
            ($cur, $list, $cursite, $curdecl) = ();
            next;
        }
        next unless defined $section;
        if ($section eq 'recipients') {
            if ($line =~ /^  - id:\s*(.+)$/) {
                my $id = _unquote($1);
                croak "$path:$ln: duplicate recipient $id" if $rec{$id};
                $cur = $rec{$id} = { id => $id, hosts => [], signatures => [] };
                push @rorder, $id;
                $list = undef;
            } elsif ($line =~ /^    (\w+):\s*(.*)$/) {
                croak "$path:$ln: field outside a recipient" unless $cur;
                my ($k, $v) = ($1, $2);
                $list = undef;
                if ($k eq 'hosts' || $k eq 'signatures') {
                    croak "$path:$ln: inline $k list not supported" if length $v;
                    $list = $cur->{$k};
                } elsif ($k eq 'category' || $k eq 'app_only') {
                    $cur->{$k} = _unquote($v);
                }
            } elsif ($line =~ /^      - (.+)$/) {
                push @$list, _unquote($1) if $list;
            } elsif ($line =~ /^\s{6,}\S/) {
                # continuation of a long scalar we do not use
            } else {
                croak "$path:$ln: unexpected line in recipients: $raw";
            }
        } elsif ($section eq 'sites') {
            if ($line =~ /^  - id:\s*(.+)$/) {
                my $id = _unquote($1);
                $cursite = $site{$id} = { id => $id, declares => {}, declare_order => [] };
                push @sorder, $id;
                $curdecl = undef;
            } elsif ($line =~ /^    declares:\s*\[(.*)\]\s*$/) {
                for my $r (split /\s*,\s*/, $1) {
                    _declare($cursite, _unquote($r), $path, $ln);
                }
            } elsif ($line =~ /^    declares:\s*$/) {
                # block list follows
            } elsif ($line =~ /^    (\w+):/) {
                # name, etc.
            } elsif ($line =~ /^      - recipient:\s*(.+)$/) {
                $curdecl = _declare($cursite, _unquote($1), $path, $ln);
            } elsif ($line =~ /^      - ([a-z0-9][a-z0-9_-]*)$/) {
                _declare($cursite, $1, $path, $ln);
                $curdecl = undef;
            } elsif ($line =~ /^        category:\s*(.+)$/) {
                croak "$path:$ln: category outside a declaration" unless $curdecl;
                $curdecl->{category} = _unquote($1);
            } elsif ($line =~ /^        \w+:/ || $line =~ /^\s{8,}\S/) {
                # sent/purpose/service text
            } else {
                croak "$path:$ln: unexpected line in sites: $raw";
            }
        }
    }
    croak "$path: no recipients" unless @rorder;
    croak "$path: no sites" unless @sorder;
    my %cats;
    for my $id (@rorder) {
        croak "$path: recipient $id has no category" unless $rec{$id}{category};
        $cats{ $rec{$id}{category} } = 1;
    }
    for my $s (@sorder) {
        for my $r (@{ $site{$s}{declare_order} }) {
            croak "$path: site $s declares unknown recipient $r" unless $rec{$r};
            my $d = $site{$s}{declares}{$r};
            $d->{category} //= $rec{$r}{category};
            $cats{ $d->{category} } = 1;
        }
    }
    return { recipients => \%rec, recipient_order => \@rorder,
             sites => \%site, site_order => \@sorder, categories => \%cats };
}

sub _declare {
    my ($site, $r, $path, $ln) = @_;
    croak "$path:$ln: declaration outside a site" unless $site;
    croak "$path:$ln: $site->{id} declares $r twice" if $site->{declares}{$r};
    push @{ $site->{declare_order} }, $r;
    return $site->{declares}{$r} = { recipient => $r };
}

sub declared_ids {
    my ($rules, $site) = @_;
    my $s = $rules->{sites}{$site} or croak "unknown site $site";
    return @{ $s->{declare_order} };
}

sub declared_category {
    my ($rules, $site, $r) = @_;
    my $d = $rules->{sites}{$site}{declares}{$r} or return undef;
    return $d->{category};
}

# Set of recipients allowed on $site for cookie value $v (undef = no cookie).
sub allowed {
    my ($rules, $site, $v) = @_;
    my %ok;
    return \%ok unless defined $v;
    my $s = $rules->{sites}{$site} or croak "unknown site $site";
    for my $item (split /,|\||%2C/, $v) {
        if ($item eq 'all') {
            $ok{$_} = 1 for keys %{ $s->{declares} };
        } elsif ($s->{declares}{$item}) {
            $ok{$item} = 1;
        } elsif ($rules->{categories}{$item}) {
            for my $r (keys %{ $s->{declares} }) {
                $ok{$r} = 1 if $s->{declares}{$r}{category} eq $item;
            }
        }
        # 'none', unknown ids, undeclared ids, malformed: grant nothing
    }
    return \%ok;
}

# Strings stay UTF-8 bytes (no ->utf8), to compare with raw fixture bytes.
sub load_manifest {
    my ($path) = @_;
    return JSON::PP->new->decode(_read($path));
}

# A site's fixture page: (manifest, html) from t/fixtures/<site>.json and the
# page it names; read once per test file.
my %FIXTURE;
sub site_fixture {
    my ($site) = @_;
    $FIXTURE{$site} //= do {
        my $dir = File::Basename::dirname(__FILE__) . '/../fixtures';
        my $m = load_manifest("$dir/$site.json");
        [$m, _read("$dir/$m->{fixture}")];
    };
    return @{ $FIXTURE{$site} };
}

# expected() for a site's fixture page: ($expected_html, [blocked ids]).
sub expected_for {
    my ($rules, $site, $v) = @_;
    my ($m, $html) = site_fixture($site);
    return expected($rules, $m, $html, $v);
}

# Element positions in $html: each manifest html must occur exactly once.
sub _find_once {
    my ($html, $needle, $what) = @_;
    my $p = index($html, $needle);
    croak "$what: not found in fixture" if $p < 0;
    croak "$what: occurs more than once in fixture" if index($html, $needle, $p + 1) >= 0;
    return $p;
}

# expected($rules, $manifest, $html, $cookie_value)
#   -> ($expected_html, [sorted blocked ids])
sub expected {
    my ($rules, $m, $html, $v) = @_;
    my $site = $m->{site};
    my $ok = allowed($rules, $site, $v);
    my (@cut, %blocked);
    my $gone = sub {
        my ($el) = @_;
        my @bad = grep { !$ok->{$_} } @{ $el->{recipients} };
        return @bad;
    };
    for my $el (@{ $m->{elements} }) {
        my $pos = _find_once($html, $el->{html}, "element $el->{name}");
        if ($el->{children}) {
            my (@rm, @bad_all);
            for my $ch (@{ $el->{children} }) {
                my $cp = _find_once($html, $ch->{html}, "child of $el->{name}");
                my @bad = $gone->($ch);
                if (@bad) {
                    push @rm, [$cp, length $ch->{html}];
                    push @bad_all, @bad;
                }
            }
            if (@rm == @{ $el->{children} } && !$el->{mixed}) {
                push @cut, [$pos, length $el->{html}];
            } else {
                push @cut, @rm;
            }
            $blocked{$_} = 1 for @bad_all;
        } else {
            my @bad = $gone->($el);
            if (@bad) {
                push @cut, [$pos, length $el->{html}];
                $blocked{$_} = 1 for @bad;
            }
        }
    }
    my $out = '';
    my $at = 0;
    for my $c (sort { $a->[0] <=> $b->[0] } @cut) {
        croak "overlapping elements at $c->[0]" if $c->[0] < $at;
        $out .= substr($html, $at, $c->[0] - $at);
        $at = $c->[0] + $c->[1];
    }
    $out .= substr($html, $at);
    return ($out, [sort keys %blocked]);
}

# --- lint helpers: which recipients an element names, by the rules' hosts
# and signatures (used to check fixtures, not to compute expectations).

sub decode_entities {
    my ($s) = @_;
    $s =~ s/&#[xX]([0-9a-fA-F]+);?/chr hex $1/ge;
    $s =~ s/&#([0-9]+);?/chr $1/ge;
    $s =~ s/&amp;/&/g;
    $s =~ s/&sol;/\//g;
    $s =~ s/&period;/./g;
    $s =~ s/&colon;/:/g;
    return $s;
}

sub host_recipient {
    my ($rules, $host) = @_;
    $host = lc $host;
    $host =~ s/:\d+$//;
    my @labels = split /\./, $host;
    for my $i (0 .. $#labels) {
        my $suffix = join '.', @labels[$i .. $#labels];
        for my $r (@{ $rules->{recipient_order} }) {
            return $r if grep { $_ eq $suffix } @{ $rules->{recipients}{$r}{hosts} };
        }
    }
    return undef;
}

sub named_recipients {
    my ($rules, $text, %o) = @_;
    my %r;
    my $d = decode_entities($text);
    while ($d =~ m{(?:https?:)?//([A-Za-z0-9.-]+)}g) {
        my $r = host_recipient($rules, $1);
        $r{$r} = 1 if defined $r;
    }
    if ($o{signatures}) {
        for my $id (@{ $rules->{recipient_order} }) {
            for my $sig (@{ $rules->{recipients}{$id}{signatures} }) {
                $r{$id} = 1 if $text =~ /$sig/;
            }
        }
    }
    return sort keys %r;
}

# What a consent value leaves forbidden on $site, for judging a page
# independently: (host suffixes, inline signatures) of every recipient
# that is not allowed (undeclared recipients are never allowed).
sub blocked_for {
    my ($rules, $site, $v) = @_;
    my $ok = allowed($rules, $site, $v);
    my (@hosts, @sigs);
    for my $r (@{ $rules->{recipient_order} }) {
        next if $ok->{$r};
        push @hosts, @{ $rules->{recipients}{$r}{hosts} };
        push @sigs,  @{ $rules->{recipients}{$r}{signatures} };
    }
    return (\@hosts, \@sigs);
}

1;
