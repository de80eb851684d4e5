// SPDX-License-Identifier: GPL-2.0-or-later
#include "icmpwall/util/diagnostics.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace icmpwall;

namespace {

TEST(DiagnosticsTest, RendersPositionLineCaretAndHint) {
  auto file = std::make_shared<SourceFile>("p.toml", "[[rule]]\ntypes = [\"echo-requets\"]\n");
  Diagnostics d;
  d.error({file, 2, 10}, "unknown ICMP type 'echo-requets'", "did you mean 'echo-request'?");
  std::ostringstream out;
  d.render(out);
  EXPECT_EQ(out.str(),
            "p.toml:2:10: error: unknown ICMP type 'echo-requets'\n"
            " 2 | types = [\"echo-requets\"]\n"
            "   |          ^\n"
            "hint: did you mean 'echo-request'?\n");
}

TEST(DiagnosticsTest, RelatedNotesPointAtTheirOwnLines) {
  auto file = std::make_shared<SourceFile>("p.toml", "a\nb\nc\n");
  Diagnostic diag;
  diag.loc = {file, 3, 1};
  diag.message = "conflict";
  const SourceLoc first{file, 1, 1};
  diag.related.push_back({first, "first rule is here"});
  std::string text = render(diag);
  EXPECT_NE(text.find("p.toml:3:1: error: conflict"), std::string::npos) << text;
  EXPECT_NE(text.find("p.toml:1:1: note: first rule is here\n 1 | a\n"), std::string::npos) << text;
}

TEST(DiagnosticsTest, StrictPromotesWarningsToErrors) {
  Diagnostics d;
  d.warning({}, "w");
  EXPECT_FALSE(d.has_errors());
  d.promote_warnings();
  EXPECT_TRUE(d.has_errors());
  EXPECT_EQ(d.count(Severity::warning), 0u);
}

TEST(DiagnosticsTest, CaretKeepsTabsAligned) {
  auto file = std::make_shared<SourceFile>("p.toml", "\tx = 1\r\n");
  EXPECT_EQ(file->line(1), "\tx = 1");  // CRLF stripped
  Diagnostics d;
  d.error({file, 1, 2}, "bad");
  std::ostringstream out;
  d.render(out);
  EXPECT_NE(out.str().find("   | \t^\n"), std::string::npos) << out.str();
}

TEST(DiagnosticsTest, PositionlessErrorsStillNameTheFile) {
  auto file = std::make_shared<SourceFile>("p.toml", "");
  Diagnostics d;
  d.error({file, 0, 0}, "cannot read");
  std::ostringstream out;
  d.render(out);
  EXPECT_EQ(out.str(), "p.toml: error: cannot read\n");
}

}  // namespace

// A policy's text may carry a terminal's escape sequences (in a value, a
// key, or raw on a line): rendered, none of them reaches the terminal.
TEST(DiagnosticsTest, ControlCharactersNeverReachTheTerminal) {
  auto file = std::make_shared<SourceFile>("p.toml", "x = \"\x1b]0;owned\x07\"\tz\n");
  Diagnostics d;
  Diagnostic::Related note;
  note.loc = {file, 1, 1};
  note.message = "see \x1b";
  d.error({file, 1, 13}, "'\x1b[2J' is not a type", "try '\x7f'").related.push_back(note);
  std::ostringstream out;
  d.render(out);
  const std::string text = out.str();
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(c == '\n' || c == '\t' || (u >= 0x20 && u != 0x7f)) << static_cast<int>(u);
  }
  EXPECT_NE(text.find("error: '\\u001b[2J' is not a type\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hint: try '\\u007f'\n"), std::string::npos) << text;
  EXPECT_NE(text.find("note: see \\u001b\n"), std::string::npos) << text;
  // The excerpt keeps one byte per byte: the caret stays under column 13.
  EXPECT_NE(text.find(" 1 | x = \"?]0;owned?\"\tz\n   |             ^\n"), std::string::npos)
      << text;
}

// Text read from elsewhere keeps its lines and tabs, and nothing else a
// terminal would act on.
TEST(DiagnosticsTest, PrintableLinesKeepsNewlinesAndTabsOnly) {
  EXPECT_EQ(printable_lines("a:1:2: error: x\n 1 | \ty\n"), "a:1:2: error: x\n 1 | \ty\n");
  EXPECT_EQ(printable_lines("\x1b[2J\r\x07\x7f ok"), "\\u001b[2J\\u000d\\u0007\\u007f ok");
  EXPECT_EQ(printable_lines(std::string("a\0b", 3)), "a\\u0000b");
}
