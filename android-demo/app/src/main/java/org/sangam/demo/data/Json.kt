// A small JSON reader for the values the core hands out as JSON text (conflicting values).
// Pure Kotlin so the data layer does not depend on Android's org.json.
package org.sangam.demo.data

object Json {
    /**
     * Parses one JSON value: null, Boolean, Long (whole numbers), Double, String,
     * List<Any?> or Map<String, Any?>. Throws IllegalArgumentException on malformed text.
     */
    fun parse(text: String): Any? {
        val p = Parser(text)
        p.skipSpace()
        val v = p.value()
        p.skipSpace()
        require(p.atEnd()) { "trailing characters in JSON at ${p.pos}" }
        return v
    }

    private class Parser(val s: String) {
        var pos = 0

        fun atEnd(): Boolean = pos >= s.length

        fun skipSpace() {
            while (pos < s.length && s[pos].isWhitespace()) pos++
        }

        private fun expect(word: String) {
            require(s.startsWith(word, pos)) { "expected '$word' at $pos" }
            pos += word.length
        }

        fun value(): Any? {
            require(pos < s.length) { "unexpected end of JSON" }
            return when (val c = s[pos]) {
                'n' -> { expect("null"); null }
                't' -> { expect("true"); true }
                'f' -> { expect("false"); false }
                '"' -> string()
                '[' -> array()
                '{' -> obj()
                else -> if (c == '-' || c.isDigit()) number() else throw IllegalArgumentException("unexpected '$c' at $pos")
            }
        }

        private fun number(): Any {
            val start = pos
            if (s[pos] == '-') pos++
            while (pos < s.length && (s[pos].isDigit() || s[pos] in ".eE+-")) pos++
            val t = s.substring(start, pos)
            return t.toLongOrNull() ?: t.toDoubleOrNull() ?: throw IllegalArgumentException("bad number '$t'")
        }

        private fun string(): String {
            expect("\"")
            val out = StringBuilder()
            while (true) {
                require(pos < s.length) { "unterminated string" }
                val c = s[pos++]
                when (c) {
                    '"' -> return out.toString()
                    '\\' -> {
                        require(pos < s.length) { "unterminated escape" }
                        when (val e = s[pos++]) {
                            '"', '\\', '/' -> out.append(e)
                            'b' -> out.append('\b')
                            'f' -> out.append('\u000C')
                            'n' -> out.append('\n')
                            'r' -> out.append('\r')
                            't' -> out.append('\t')
                            'u' -> {
                                require(pos + 4 <= s.length) { "short \\u escape" }
                                out.append(s.substring(pos, pos + 4).toInt(16).toChar())
                                pos += 4
                            }
                            else -> throw IllegalArgumentException("bad escape '\\$e'")
                        }
                    }
                    else -> out.append(c)
                }
            }
        }

        private fun array(): List<Any?> {
            expect("[")
            val out = mutableListOf<Any?>()
            skipSpace()
            if (pos < s.length && s[pos] == ']') { pos++; return out }
            while (true) {
                skipSpace()
                out.add(value())
                skipSpace()
                require(pos < s.length) { "unterminated array" }
                when (s[pos++]) {
                    ',' -> continue
                    ']' -> return out
                    else -> throw IllegalArgumentException("expected ',' or ']' at ${pos - 1}")
                }
            }
        }

        private fun obj(): Map<String, Any?> {
            expect("{")
            val out = LinkedHashMap<String, Any?>()
            skipSpace()
            if (pos < s.length && s[pos] == '}') { pos++; return out }
            while (true) {
                skipSpace()
                val key = string()
                skipSpace()
                expect(":")
                skipSpace()
                out[key] = value()
                skipSpace()
                require(pos < s.length) { "unterminated object" }
                when (s[pos++]) {
                    ',' -> continue
                    '}' -> return out
                    else -> throw IllegalArgumentException("expected ',' or '}' at ${pos - 1}")
                }
            }
        }
    }
}
