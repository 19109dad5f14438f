"""The injection rules' core phrasings in 24 more languages, and an unbinding request in five.

The English rules (``injection.RULES``) and the classifier (trained on six languages) miss an
attack written in, say, Polish or Korean. These lexicon rules cover the three most common
intents in each language, as precise phrases addressed to a reader, never single words: an
**override** ("ignore all previous instructions"), a request to **reveal** the system prompt,
and a **role** change to an unrestricted persona. A technical text that mentions instructions or
prompts in these languages does not have this shape.

Each entry is (language, intent, pattern); patterns run case-insensitively on every reading of the
text (so homoglyph, encoded or spelled-out variants are covered the same way as English ones).
"""

from __future__ import annotations

LEXICON: tuple[tuple[str, str, str], ...] = (
    # German
    (
        "de",
        "override",
        r"\b(?:ignorier|vergiss|missacht|übergeh|verwirf)\w*\s+(?:du\s+)?(?:alle\s+|sämtliche\s+)?"
        r"(?:vorherigen|bisherigen|obigen|vorigen|früheren|deine|ursprünglichen)\s+"
        r"(?:anweisungen|instruktionen|befehle|regeln|vorgaben|richtlinien)",
    ),
    (
        "de",
        "reveal",
        r"\b(?:zeig|gib|verrat|enthüll|nenn|druck)\w*\s+(?:mir\s+)?(?:deinen?|den|die|das)\s+"
        r"(?:system-?prompt|systemanweisung\w*|anfangsanweisung\w*|ursprünglichen\s+anweisungen)",
    ),
    (
        "de",
        "role",
        r"\bdu\s+bist\s+(?:jetzt|nun|ab\s+sofort)\s+(?:\w+\s+){0,2}(?:uneingeschränkt\w*|unzensiert\w*|DAN|"
        r"ohne\s+(?:regeln|einschränkungen|filter))",
    ),
    # French
    (
        "fr",
        "override",
        r"\b(?:ignore|oublie|néglige|ignorez|oubliez)\w*\s+(?:toutes\s+)?(?:les|tes|vos)\s+"
        r"(?:instructions|consignes|règles|directives)\s+(?:précédentes|antérieures|ci-dessus|initiales)",
    ),
    (
        "fr",
        "reveal",
        r"\b(?:révèle|montre|affiche|donne|dis|révélez|montrez|affichez)\w*[-\s]+(?:moi\s+)?"
        r"(?:ton|votre|le|ta|tes)\s+(?:prompt\s+(?:système|initial)|invite\s+(?:système|initiale)|"
        r"message\s+système|instructions\s+(?:système|initiales|d'origine))",
    ),
    (
        "fr",
        "role",
        r"\b(?:tu\s+es|vous\s+êtes)\s+(?:maintenant|désormais)\s+(?:\w+\s+){0,2}"
        r"(?:sans\s+(?:restrictions|limites|filtres|règles)|non\s+censuré|DAN)",
    ),
    # Spanish
    (
        "es",
        "override",
        r"\b(?:ignora|olvida|omite|descarta|ignore|olvide)\w*\s+(?:todas\s+)?(?:las|tus|sus)\s+"
        r"(?:instrucciones|indicaciones|reglas|directrices)\s+(?:anteriores|previas|de\s+arriba|iniciales)",
    ),
    (
        "es",
        "reveal",
        r"\b(?:revela|muestra|dime|enséñame|imprime|muéstrame)\w*\s+(?:tu|el|su)\s+"
        r"(?:prompt\s+(?:del\s+sistema|inicial)|mensaje\s+del\s+sistema|"
        r"instrucciones\s+(?:del\s+sistema|iniciales|originales))",
    ),
    (
        "es",
        "role",
        r"\b(?:ahora\s+eres|a\s+partir\s+de\s+ahora\s+eres|desde\s+ahora\s+eres)\s+(?:\w+\s+){0,2}"
        r"(?:sin\s+(?:restricciones|límites|filtros|reglas)|DAN)",
    ),
    # Italian
    (
        "it",
        "override",
        r"\b(?:ignora|dimentica|tralascia|trascura|ignori)\w*\s+(?:tutte\s+)?(?:le|tue)\s+"
        r"(?:tue\s+)?(?:istruzioni|indicazioni|regole|direttive)\s+(?:precedenti|di\s+prima|sopra|iniziali)",
    ),
    (
        "it",
        "reveal",
        r"\b(?:rivela|mostra|dimmi|stampa|mostrami|rivelami)\w*\s+(?:il\s+tuo|il|la\s+tua|le\s+tue)\s+"
        r"(?:prompt\s+(?:di\s+sistema|iniziale)|messaggio\s+di\s+sistema|"
        r"istruzioni\s+(?:di\s+sistema|iniziali|originali))",
    ),
    (
        "it",
        "role",
        r"\b(?:ora|adesso|d'ora\s+in\s+poi)\s+sei\s+(?:\w+\s+){0,2}(?:senza\s+(?:restrizioni|limiti|filtri|regole)|DAN)",
    ),
    # Portuguese
    (
        "pt",
        "override",
        r"\b(?:ignore|ignora|esqueça|esquece|desconsidere)\w*\s+(?:todas\s+)?(?:as|suas|tuas)\s+"
        r"(?:instruções|regras|diretrizes|orientações)\s+(?:anteriores|acima|iniciais|prévias)",
    ),
    (
        "pt",
        "reveal",
        r"\b(?:revele|revela|mostre|mostra|diga|imprima)\w*\s+(?:o\s+seu|o\s+teu|seu|teu|o|a\s+sua)\s+"
        r"(?:prompt\s+(?:do\s+sistema|inicial)|mensagem\s+do\s+sistema|instruções\s+(?:do\s+sistema|iniciais))",
    ),
    (
        "pt",
        "role",
        r"\b(?:agora\s+você\s+é|a\s+partir\s+de\s+agora\s+você\s+é|agora\s+és)\s+(?:\w+\s+){0,2}"
        r"(?:sem\s+(?:restrições|limites|filtros|regras)|DAN)",
    ),
    # Dutch
    (
        "nl",
        "override",
        r"\b(?:negeer|vergeet|omzeil)\s+(?:alle\s+)?(?:de\s+|je\s+|jouw\s+)?"
        r"(?:vorige|eerdere|bovenstaande|voorgaande)\s+(?:instructies|opdrachten|regels)",
    ),
    (
        "nl",
        "reveal",
        r"\b(?:toon|geef|onthul|laat)\s+(?:mij\s+|me\s+)?(?:je|jouw|de)\s+"
        r"(?:systeemprompt|systeeminstructies|oorspronkelijke\s+instructies)",
    ),
    # Polish
    (
        "pl",
        "override",
        r"(?<!\w)(?:zignoruj|ignoruj|zapomnij\s+o|pomiń)\s+(?:wszystkie\s+)?"
        r"(?:poprzednie|wcześniejsze|powyższe|swoje)\s+(?:instrukcje|polecenia|zasady)",
    ),
    (
        "pl",
        "reveal",
        r"(?<!\w)(?:pokaż|ujawnij|wyświetl|podaj)\s+(?:mi\s+)?(?:swój|twój|swoje)\s+"
        r"(?:prompt\s+systemowy|systemowy\s+prompt|instrukcje\s+systemowe)",
    ),
    # Russian, Ukrainian
    (
        "ru",
        "override",
        r"(?<!\w)(?:игнорируй|проигнорируй|забудь|не\s+обращай\s+внимания\s+на)\s+(?:все\s+)?"
        r"(?:предыдущие|прежние|вышеуказанные|свои|прошлые)\s+(?:инструкции|указания|правила|команды)",
    ),
    (
        "ru",
        "reveal",
        r"(?<!\w)(?:покажи|раскрой|выведи|напиши)\s+(?:мне\s+)?(?:свой|твой)\s+"
        r"(?:системный\s+(?:промпт|запрос)|промпт|исходные\s+инструкции)",
    ),
    (
        "ru",
        "role",
        r"(?<!\w)(?:теперь|отныне)\s+ты\s+(?:\w+\s+){0,2}(?:без\s+(?:ограничений|правил|цензуры)|DAN)",
    ),
    (
        "uk",
        "override",
        r"(?<!\w)(?:ігноруй|проігноруй|забудь)\s+(?:всі\s+|усі\s+)?(?:попередні|свої|минулі)\s+"
        r"(?:інструкції|вказівки|правила|команди)",
    ),
    (
        "uk",
        "reveal",
        r"(?<!\w)(?:покажи|розкрий|виведи)\s+(?:мені\s+)?(?:свій|твій)\s+(?:системний\s+промпт|промпт)",
    ),
    # Turkish
    (
        "tr",
        "override",
        r"(?<!\w)(?:önceki|yukarıdaki|tüm|bütün)\s+(?:tüm\s+)?(?:talimatları|talimatlarını|kuralları|"
        r"komutları)\s+(?:yok\s+say|unut|görmezden\s+gel|dikkate\s+alma)",
    ),
    (
        "tr",
        "reveal",
        r"(?<!\w)sistem\s+(?:istemini|komutunu|talimatlarını|promptunu)\s+(?:göster|açıkla|yaz|söyle)",
    ),
    # Nordic languages
    (
        "sv",
        "override",
        r"\b(?:ignorera|glöm|strunta\s+i)\s+(?:alla\s+)?(?:tidigare|föregående|ovanstående|dina)\s+"
        r"(?:instruktioner|regler|anvisningar)",
    ),
    (
        "sv",
        "reveal",
        r"\b(?:visa|avslöja|skriv\s+ut)\s+(?:din|ditt|dina)\s+(?:systemprompt|systeminstruktioner)",
    ),
    (
        "da",
        "override",
        r"\b(?:ignorer|glem|se\s+bort\s+fra)\s+(?:alle\s+)?(?:tidligere|foregående|ovenstående|dine|"
        r"forrige)\s+(?:instruktioner|instruksjoner|regler|anvisninger)",
    ),
    (
        "da",
        "reveal",
        r"\b(?:vis|afslør|avslør|udskriv)\s+(?:din|dit|dine)\s+(?:systemprompt|systeminstruktioner)",
    ),
    (
        "fi",
        "override",
        r"\b(?:ohita|unohda|jätä\s+huomiotta)\s+(?:kaikki\s+)?(?:aiemmat|edelliset|yllä\s+olevat)\s+"
        r"(?:ohjeet|ohjeesi|säännöt)",
    ),
    (
        "fi",
        "reveal",
        r"\b(?:näytä|paljasta|tulosta)\s+(?:järjestelmäkehotteesi|järjestelmäkehote|alkuperäiset\s+ohjeesi)",
    ),
    # Central and south-east Europe
    (
        "cs",
        "override",
        r"(?<!\w)(?:ignoruj|zapomeň\s+na|nevšímej\s+si)\s+(?:všechny\s+|všech\s+)?"
        r"(?:předchozí|předchozích|dřívější|výše\s+uvedené)\s+(?:instrukce|pokyny|pravidla|pokynů)",
    ),
    (
        "cs",
        "reveal",
        r"(?<!\w)(?:ukaž|odhal|vypiš)\s+(?:mi\s+)?(?:svůj|tvůj)\s+(?:systémový\s+prompt|systémové\s+pokyny)",
    ),
    (
        "ro",
        "override",
        r"(?<!\w)(?:ignoră|uită)\s+(?:toate\s+)?(?:instrucțiunile|regulile|instrucţiunile)\s+"
        r"(?:anterioare|de\s+mai\s+sus|precedente)",
    ),
    (
        "hu",
        "override",
        r"(?<!\w)(?:hagyd\s+figyelmen\s+kívül|felejtsd\s+el)\s+(?:az\s+)?(?:összes\s+)?"
        r"(?:korábbi|előző|fenti)\s+(?:utasítást|utasításokat|szabályokat)",
    ),
    (
        "el",
        "override",
        r"(?<!\w)(?:αγνόησε|ξέχασε|αγνοήστε)\s+(?:όλες\s+)?(?:τις\s+)?(?:προηγούμενες|παραπάνω)\s+"
        r"(?:οδηγίες|εντολές|κανόνες)",
    ),
    (
        "el",
        "reveal",
        r"(?<!\w)(?:δείξε|αποκάλυψε|εμφάνισε)\s+(?:μου\s+)?(?:το|τις)\s+(?:μήνυμα\s+συστήματος|"
        r"οδηγίες\s+συστήματος|system\s+prompt)",
    ),
    # Asian languages
    ("ja", "override", r"(?:以前|前|上記|これまで)の(?:すべての|全ての)?(?:指示|命令|ルール)を(?:無視|忘れ)"),
    ("ja", "reveal", r"システムプロンプトを(?:表示|教えて|見せて|出力)"),
    (
        "zh",
        "override",
        r"(?:忽略|无视|忘记|忽視|無視|忘記)(?:掉)?(?:之前|以上|前面|先前|所有|上面)(?:的)?(?:所有)?(?:的)?"
        r"(?:指令|指示|说明|說明|規則|规则)",
    ),
    (
        "zh",
        "reveal",
        r"(?:显示|告诉我|输出|透露|打印|顯示|告訴我|輸出)(?:你的)?(?:系统|系統)(?:提示|提示词|提示詞)",
    ),
    (
        "ko",
        "override",
        r"(?:이전|위의|모든|앞의)\s*(?:모든\s*)?(?:지시|지침|명령|규칙)(?:사항)?(?:을|를|은|는)?\s*(?:무시|잊어)",
    ),
    ("ko", "reveal", r"시스템\s*프롬프트(?:를|을)?\s*(?:보여|알려|출력|공개)"),
    (
        "hi",
        "override",
        r"(?:पिछले|पिछली|पहले\s+के|ऊपर\s+के|सभी)\s+(?:सभी\s+)?(?:निर्देशों|निर्देश|नियमों)\s+(?:को\s+)?"
        r"(?:अनदेखा|नज़रअंदाज़|नजरअंदाज|भूल)",
    ),
    (
        "vi",
        "override",
        r"(?<!\w)(?:bỏ\s+qua|phớt\s+lờ|quên)\s+(?:đi\s+)?(?:tất\s+cả\s+)?(?:các\s+|những\s+)?"
        r"(?:hướng\s+dẫn|chỉ\s+dẫn|lệnh|chỉ\s+thị)\s+(?:trước\s+đó|trước|ở\s+trên)",
    ),
    (
        "id",
        "override",
        r"\b(?:abaikan|lupakan)\s+(?:semua\s+)?(?:instruksi|perintah|aturan|petunjuk)\s+"
        r"(?:sebelumnya|di\s+atas|terdahulu)",
    ),
    # Semitic languages
    (
        "ar",
        "override",
        r"(?:تجاهل|انس|تجاهلي)\s+(?:جميع\s+|كل\s+)?(?:التعليمات|الأوامر|القواعد|الإرشادات)\s+"
        r"(?:السابقة|أعلاه|الماضية)",
    ),
    (
        "he",
        "override",
        r"(?:התעלם|שכח|התעלמי)\s+(?:מכל\s+|מ)?(?:ההוראות|הכללים|ההנחיות)\s+(?:הקודמות|הקודמים|הקודמת)",
    ),
    # "unbind": a reader told to drop its own programming, training or code of conduct ("Verwirf
    # deinen Verhaltenskodex", "Ignore seu treinamento"). Flagged, not blocked: a support text may
    # tell a person to switch off their filters; a curator decides.
    (
        "de",
        "unbind",
        r"\b(?:ignorier|vergiss|missacht|übergeh|verwirf|umgeh|lös|deaktivier|überschreib|vernachlässig)\w*\s+"
        r"(?:dich\s+von\s+)?deine[nmrs]?\s+(?:[\w-]+\s+){0,2}?[\w-]*(?:programmierung|training|verhaltenskodex|"
        r"richtlinien|regeln|einschränkungen|entscheidungsprozess|algorithmen|vorgaben|anweisungen|schutzmaßnahmen)",
    ),
    (
        "fr",
        "unbind",
        r"\b(?:ignore|oublie|détourne|contourne|reconfigure|désactive|abandonne|outrepasse|néglige|affranchis)"
        r"\w*\s+(?:toute?s?\s+)?(?:tes|ton|ta|vos|votre)\s+(?:[\w-]+\s+){0,2}?(?:programmation|entraînement|"
        r"formation|fonctions\s+programmées|algorithmes|règles|consignes|directives|restrictions|"
        r"code\s+de\s+conduite|garde-fous|limites)",
    ),
    (
        "it",
        "unbind",
        r"\b(?:ignora|dimentica|scarta|aggira|disattiva|abbandona|bypassa|trascura|elimina|sovrascrivi)\w*\s+"
        r"(?:tutt[ei]\s+)?(?:il\s+tuo|la\s+tua|i\s+tuoi|le\s+tue|tuo|tua|tuoi|tue)\s+(?:[\w-]+\s+){0,2}?"
        r"(?:programmazione|addestramento|formazione|codice\s+di\s+condotta|regole|istruzioni|linee\s+guida|"
        r"restrizioni|algoritmi|limiti)",
    ),
    (
        "es",
        "unbind",
        r"\b(?:ignora|olvida|descarta|evita|desactiva|abandona|elude|omite|anula|deja\s+de\s+lado)\w*\s+"
        r"(?:todas?\s+|todos\s+)?(?:tu|tus)\s+(?:[\w-]+\s+){0,2}?(?:programación|entrenamiento|formación|"
        r"código\s+de\s+conducta|reglas|instrucciones|directrices|restricciones|algoritmos|límites)",
    ),
    (
        "pt",
        "unbind",
        r"\b(?:ignor|esque[çc]|descart|contorn|desativ|abandon|anul|deix\w*\s+de\s+lado)\w*\s+"
        r"(?:todas?\s+|todos\s+)?(?:o\s+|a\s+|os\s+|as\s+)?(?:seu|sua|seus|suas|teu|tua|teus|tuas)\s+"
        r"(?:[\w-]+\s+){0,2}?(?:programação|treinamento|treino|formação|código\s+de\s+conduta|regras|"
        r"instruções|diretrizes|restrições|algoritmos|limites)",
    ),
)
