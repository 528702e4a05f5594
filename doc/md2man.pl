#!/usr/bin/perl
# Markdown (the subset README.md and doc/*.md use) -> man page, so the man
# pages are generated from the same text as the README and never drift.
#
#   doc/md2man.pl --name NAME --section N --summary TEXT --version V
#                 [--part HEADING] FILE.md > NAME.N
#
# --part takes only the text under that "## HEADING" (up to the next "## ");
# without it the whole file is used, minus a leading "## NAME" title.
# Handled: ## / ### headings, paragraphs, "* " lists, indented and fenced
# code blocks, `code`, **bold**, *italic*, [text](link). Core Perl only.
use strict;
use warnings;
use Getopt::Long;

my %o;
GetOptions(\%o, 'name=s', 'section=s', 'summary=s', 'version=s', 'part=s')
    && @ARGV == 1 && $o{name} && $o{section} && $o{summary} && $o{version}
    or die "usage: $0 --name NAME --section N --summary TEXT --version V [--part HEADING] FILE.md\n";

open my $fh, '<:encoding(UTF-8)', $ARGV[0] or die "$ARGV[0]: $!\n";
my @lines = map { s/\r?\n\z//r } <$fh>;
close $fh;

if (defined $o{part}) {
    my ($start) = grep { $lines[$_] eq "## $o{part}" } 0 .. $#lines;
    die "$ARGV[0]: no '## $o{part}' heading\n" unless defined $start;
    my $end = $start + 1;
    $end++ while $end <= $#lines && $lines[$end] !~ /^## /;
    @lines = @lines[$start + 1 .. $end - 1];
} elsif (@lines && $lines[0] eq "## $o{name}") {
    shift @lines;
}

# roff escapes: backslash, minus signs, a leading control character.
sub esc {
    my ($s) = @_;
    $s =~ s/\\/\\e/g;
    $s =~ s/-/\\-/g;
    $s =~ s/\x{2014}/\\(em/g;
    $s =~ s/^([.'])/\\&$1/;
    return $s;
}

sub inline {
    my ($s) = @_;
    my @parts = split /(`[^`]*`)/, $s;
    my $out = '';
    for my $p (@parts) {
        if ($p =~ /^`(.*)`$/s) {
            $out .= '\fB' . esc($1) . '\fR';
            next;
        }
        $p =~ s/\[([^\]]+)\]\((?:#[^)]*|[^):]*)\)/$1/g;    # in-document links
        $p =~ s/\[([^\]]+)\]\(([^)]+)\)/$1 <$2>/g;          # external links
        $p = esc($p);
        $p =~ s/\*\*([^*]+)\*\*/\\fB$1\\fR/g;
        $p =~ s/\*([^*\s][^*]*)\*/\\fI$1\\fR/g;
        $out .= $p;
    }
    $out =~ s/^([.'])/\\&$1/mg;
    return $out;
}

my $date = $ENV{SOURCE_DATE_EPOCH}
    ? do { my @t = gmtime $ENV{SOURCE_DATE_EPOCH}; sprintf '%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3] }
    : '';
binmode STDOUT, ':encoding(UTF-8)';
print ".TH \"\U$o{name}\E\" \"$o{section}\" \"$date\" \"$o{name} $o{version}\"\n";
print ".SH NAME\n", esc($o{name}), ' \- ', esc($o{summary}), "\n";
print ".SH DESCRIPTION\n";

my ($i, $para) = (0, '');
my $flush = sub {
    print inline($para), "\n" if $para ne '';
    $para = '';
};
while ($i <= $#lines) {
    my $l = $lines[$i];
    if ($l =~ /^\s*$/) {
        $flush->();
        $i++;
    } elsif ($l =~ /^(#{2,3}) (.*)/) {
        $flush->();
        print length($1) == 2 ? '.SH ' . esc(uc $2) : '.SS ' . inline($2), "\n";
        $i++;
    } elsif ($l =~ /^```/) {
        $flush->();
        my @code;
        $i++;
        push @code, $lines[$i++] while $i <= $#lines && $lines[$i] !~ /^```/;
        $i++;
        print ".PP\n.RS 4\n.nf\n", (map { esc($_) . "\n" } @code), ".fi\n.RE\n";
    } elsif ($l =~ /^    / && $para eq '') {
        my @code;
        while ($i <= $#lines && ($lines[$i] =~ /^    / || ($lines[$i] =~ /^\s*$/
                 && $i < $#lines && $lines[$i + 1] =~ /^    /))) {
            push @code, substr($lines[$i++], 4);
        }
        print ".PP\n.RS 4\n.nf\n", (map { esc($_) . "\n" } @code), ".fi\n.RE\n";
    } elsif ($l =~ /^\* (.*)/) {
        $flush->();
        print ".IP \\(bu 2\n";
        $para = $1;
        $i++;
    } else {
        print ".PP\n" if $para eq '' && ($i == 0 || $lines[$i - 1] =~ /^\s*$|^#|^```/);
        $para .= ($para eq '' ? '' : "\n") . ($l =~ s/^\s+//r);
        $i++;
    }
}
$flush->();
