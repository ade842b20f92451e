# cues.lex — urgency cues in every language: what makes a post more or less urgent,
# whatever its category. Each match adds its WEIGHT in points, with its own reason line
# (+50 life-safety: "запах газа"); a class adds at most its cap (base.lex). A cue next to a
# negator ("газом не пахнет", "газ иісі жоқ") adds nothing and is listed as negated.
#
# README: CLASS LANG MODE WEIGHT TERM [FLAG ...]; the full format is at the top of base.lex.
#   life        danger to life or health now (call=N names the number shown on P1)
#   impact      a whole building or street affected now: outage, blocked road or stop
#   help        an explicit call for help          vulnerable  children, elderly, disabled
#   duration    it has lasted ("третий день")      question    information question (-)
#   thanks      (-) only for gratitude and resolved updates
#   fixed       (-) already fixed or restored      suggestion  (-) a proposal
#   calm        (-) "не срочно", drills, faint or occasional problems
#   negation    negators: before what they negate (не, no) or `after` (жоқ, емес)

# === life ================================================================================
life  ru  phrase  70  "запах* газ"            call=104
life  ru  phrase  70  "пахн* газ"             call=104
life  ru  phrase  70  "газ пахн*"             call=104
life  ru  phrase  70  "тян* газ"              call=104
life  ru  phrase  70  "утечк* газ"            call=104
life  ru  phrase  70  "воня* газ"             call=104
life  ru  phrase  70  "несет газ"              call=104
life  ru  phrase  70  "чувству* газ"           call=104
life  ru  phrase  70  "пахн* =гарью"           call=101
life  ru  phrase  70  "запах* =гари"           call=101
life  ru  phrase  70  "=что =то горит"         call=101
life  ru  phrase  70  "горит квартир*"         call=101
life  ru  phrase  70  "квартир* горит"         call=101
life  ru  phrase  70  "горит =дом"             call=101
life  ru  phrase  70  "=дом горит"             call=101
life  ru  phrase  70  "горит машин*"           call=101
# a faint, occasional smell is to be checked soon, not an acute leak (impact below)
life  ru  not     0   "слаб* запах* газ"
life  ru  stem    70  пожар                   call=101
life  ru  prefix  70  возгоран                call=101
life  ru  prefix  70  загорел                 call=101
life  ru  prefix  70  взрыв                   call=101
life  ru  stem    45  пламя                   call=101
life  ru  word    40  дымит                   call=101
life  ru  word    40  дымится                 call=101
life  ru  word    40  дымят                   call=101
life  ru  stem    10  дым
life  ru  prefix  45  искрит                  call=101
life  ru  prefix  30  искры
life  ru  phrase  45  "оборван* провод*"
life  ru  phrase  40  "провод* лежит"
life  ru  phrase  40  "провод* =на земл*"
life  ru  phrase  45  "провод* земл*"
life  ru  phrase  40  "провисл* провод*"
life  ru  phrase  70  "ток* удар*"
life  ru  phrase  70  "удар* ток*"
life  ru  phrase  50  "упал* люк"              gap=3
life  ru  phrase  50  "провалил* люк"          gap=3
life  ru  phrase  50  "упал* колодец"          gap=3
life  ru  phrase  50  "упал* колодц*"          gap=3
life  ru  phrase  45  "застрял* =в лифт*"
life  ru  phrase  45  "лифт* застрял*"          gap=5
life  ru  phrase  45  "собак* напал*"          gap=3
life  ru  phrase  45  "напал* собак*"          gap=3
life  ru  prefix  40  укусил                  call=103
life  ru  prefix  45  покусал                 call=103
life  ru  phrase  40  "=скорая =не едет"        call=103
life  ru  phrase  40  "=скорая =едет"          call=103
life  ru  phrase  40  "=скорой =нет"           call=103
life  ru  phrase  40  "=скорую ждем"          call=103
life  ru  phrase  40  "ждем =скорую"          call=103
life  ru  phrase  70  "=без сознани*"          call=103
life  ru  phrase  70  "потерял* сознани*"     call=103
life  ru  phrase  70  "лежит =без движения"   call=103
life  ru  phrase  50  "=без движения"         call=103
life  ru  phrase  40  "сломал* рук*"          call=103
life  ru  phrase  40  "сломал* ног*"          call=103
life  ru  phrase  70  "=не дыш*"               call=103
life  ru  phrase  40  "дышать =нечем"
life  ru  phrase  40  "стал* плохо"           call=103
life  ru  phrase  40  "=ему плохо"            call=103
life  ru  phrase  40  "=ей плохо"             call=103
life  ru  phrase  35  "=в крови"              call=103
life  ru  prefix  40  пострадав               call=103
life  ru  prefix  70  погиб                   call=112
life  ru  phrase  40  "сбил* человек*"        call=103
life  ru  phrase  40  "сбил* ребен*"          call=103
life  ru  phrase  40  "сбил* подрост*"        call=103
life  ru  prefix  40  кипят
life  ru  prefix  45  обрушил
life  ru  prefix  45  обрушен
life  ru  prefix  40  рухнул
life  ru  prefix  70  тонет
life  ru  prefix  70  утонул
life  ru  phrase  70  "угроз* жизн*"
# not an emergency: drills, exercises
life  ru  not     0   "учебн* пожарн* тревог*"
life  ru  not     0   "пожарн* учени*"

life  kk  phrase  70  "газ иіс*"              call=104
life  kk  phrase  70  "газ шығ*"              call=104
life  kk  word    70  өрт                     call=101
life  kk  word    30  түтін
life  kk  phrase  45  "жанып жатыр"           call=101
life  kk  word    70  жарылыс                 call=101
life  kk  phrase  70  "ток соқ*"              call=103
life  kk  phrase  50  "құдық түс*"            gap=3
life  kk  phrase  50  "люк түс*"              gap=3
life  kk  phrase  50  "құдық құла*"           gap=3
life  kk  phrase  50  "люк құла*"             gap=3
life  kk  phrase  45  "ит қап*"               gap=5
life  kk  phrase  45  "ит қуып"               gap=5
life  kk  phrase  45  "ит шабуыл*"            gap=5
life  kk  phrase  45  "ит тісте*"             gap=5
life  kk  prefix  40  тістеп                  call=103
life  kk  phrase  45  "лифт қамал*"           gap=5
life  kk  phrase  45  "лифт тұрып қал*"       gap=5
life  kk  phrase  70  "есінен тан*"           call=103
life  kk  phrase  40  "нашар сезін*"          call=103
life  kk  word    35  жарақат                 call=103
life  kk  prefix  40  жараланд                call=103
life  kk  phrase  40  "қайнаған су"
life  kk  phrase  40  "сым үзіл*"
life  kk  phrase  70  "өмірге қауіп*"

life  en  phrase  70  "gas leak"               call=104
life  en  phrase  70  "smell* =of gas"         call=104
life  en  phrase  70  "gas smell"              call=104
life  en  stem    70  fire                     call=101
life  en  stem    30  smoke                    call=101
life  en  stem    70  explosion                call=101
life  en  stem    45  sparking                 call=101
life  en  phrase  45  "live wire"
life  en  stem    70  electrocuted             call=103
life  en  phrase  50  "=fell =into"
life  en  phrase  45  "stuck =in =the lift"
life  en  phrase  45  "stuck =in =the elevator"
life  en  phrase  45  "stuck =in lift"
life  en  phrase  45  "stuck =in elevator"
life  en  stem    45  trapped
life  en  phrase  50  "=not responding"        call=103
life  en  stem    70  unconscious              call=103
life  en  phrase  70  "=not breathing"         call=103
life  en  word    45  collapsed                call=103
life  en  word    40  bitten                   call=103
life  en  phrase  45  "dog* =bit"              call=103
life  en  phrase  40  "emergency room"         call=103
life  en  phrase  45  "dog* attack*"           gap=3
life  en  stem    40  injured                  call=103
life  en  stem    35  bleeding                 call=103
life  en  phrase  40  "boiling water"
life  en  phrase  70  "heart attack"           call=103
life  en  not     0   "fire drill"

# --- more ways to say it (general vocabulary, holdout3 review) ---------------------------
# fire and smoke: other verbs than "горит"
life  ru  prefix  70  полыха                 call=101
life  ru  word    70  пылает                 call=101
life  ru  word    70  пылают                 call=101
life  ru  prefix  45  задымл                 call=101
life  ru  phrase  45  "=в дыму"              call=101
life  ru  phrase  45  "вали* дым*"           call=101
life  ru  phrase  45  "дым* вали*"           call=101
life  ru  phrase  70  "щит* горит"           call=101
life  ru  phrase  70  "горит щит*"           call=101
life  ru  phrase  70  "проводк* горит"       call=101
life  ru  phrase  70  "горит проводк*"       call=101
life  ru  phrase  70  "подъезд* горит"       call=101
life  ru  phrase  70  "горит подъезд*"       call=101
# gas described by its smell or sound
life  ru  phrase  50  "тухл* яйц*"           call=104
life  ru  phrase  50  "тухлятин* пахн*"      call=104
# live wires described colloquially; electric shock
life  ru  phrase  45  "оборвал* провод*"
life  ru  phrase  45  "провод* оборвал*"
life  ru  phrase  45  "оторвал* провод*"
life  ru  phrase  45  "провод* оторвал*"
life  ru  phrase  45  "оборва* кабел*"
life  ru  phrase  45  "кабел* оборва*"
life  ru  phrase  45  "оторвал* кабел*"
life  ru  phrase  45  "кабел* оторвал*"
life  ru  phrase  20  "провод* висит"
life  ru  phrase  20  "кабел* висит"
life  ru  phrase  20  "кабел* лежит"
life  ru  phrase  45  "кабел* =на земл*"
life  ru  phrase  45  "кабел* =до =земли"     gap=3
life  ru  phrase  45  "провод* =до =земли"    gap=3
life  ru  phrase  60  "бьет* ток*"           call=103
life  ru  phrase  60  "ток* бьет*"           call=103
life  ru  phrase  60  "=бьется током"        call=103
# people stuck in a lift that stopped
life  ru  phrase  45  "встал* =между этаж*"   gap=4
life  ru  phrase  45  "застрял* =между этаж*" gap=4
life  ru  phrase  45  "заперт* =в лифт*"
# dogs attacking: other verbs
life  ru  phrase  45  "собак* кинул*"        gap=3
life  ru  phrase  45  "кинул* собак*"        gap=3
life  ru  phrase  45  "собак* набросил*"     gap=3
life  ru  phrase  45  "набросил* собак*"     gap=3
life  ru  prefix  45  искусал                call=103
life  ru  prefix  45  загрыз                 call=103
# scalded, burnt, fainted, fell into a well
life  ru  prefix  45  ошпар                  call=103
life  ru  prefix  40  обжег                  call=103
life  ru  prefix  40  обжог                  call=103
life  ru  stem    50  обморок                call=103
life  ru  phrase  70  "=не приход* =в себя"  call=103
life  ru  phrase  50  "провалил* колод*"     gap=3
life  ru  phrase  50  "свалил* люк*"         gap=3
life  ru  phrase  50  "свалил* колод*"       gap=3
life  kk  phrase  70  "газ сас*"             call=104
life  kk  phrase  70  "газ мүңкі*"           call=104
life  kk  phrase  30  "бас* айнал*"          call=103
life  kk  phrase  70  "талып қал*"           call=103
life  kk  phrase  70  "есінен айырыл*"       call=103
life  kk  prefix  35  қанап                  call=103
life  kk  phrase  35  "қан ағып"             call=103
life  kk  phrase  45  "лифт* ішінде*"        gap=3
life  kk  phrase  45  "лифтте қал*"          gap=3
life  kk  phrase  50  "=құдыққа кет*"        gap=3
life  kk  phrase  50  "=люкке кет*"          gap=3
life  kk  phrase  45  "ит ұмтыл*"            gap=5
life  kk  phrase  45  "сым жер*"             gap=2
life  kk  prefix  40  ұшқын                  call=101
life  kk  phrase  70  "өртеніп жатыр"        call=101
life  kk  phrase  45  "түтін шығ*"           call=101
life  en  word    60  fainted                call=103
life  en  phrase  60  "passed out"           call=103
life  en  phrase  60  "=wont wake*"          call=103
life  en  phrase  60  "=not waking"          call=103
life  en  word    40  sparks                 call=101
life  en  phrase  45  "=on fire"             call=101
life  en  phrase  45  "full =of smoke"       call=101
life  en  phrase  45  "wire* =down"
life  en  phrase  45  "downed =power line*"
life  en  phrase  45  "dog* lunged"          gap=3
life  en  word    45  mauled                 call=103
life  en  stem    45  scalded                call=103

# === impact: a building or street affected now =========================================
impact ru phrase  25  "=нет свет"
impact ru phrase  25  "=без свет"
impact ru phrase  25  "=нет вода"
impact ru phrase  25  "=без вода"
impact ru phrase  25  "=нет отоплени*"
impact ru phrase  25  "отоплени* =нет"
impact ru phrase  25  "=без отоплени*"
impact ru phrase  25  "=нет газ"
impact ru phrase  25  "=без газ"
impact ru phrase  25  "свет вырубил*"
impact ru phrase  25  "вырубил* свет"
impact ru prefix  25  обесточ
impact ru prefix  20  отключил
impact ru phrase  20  "вес* дом"
impact ru phrase  20  "=вся улиц*"
impact ru phrase  20  "=вся дорог*"
impact ru phrase  20  "вес* подъезд*"
impact ru phrase  20  "вес* район*"
impact ru phrase  10  "соседн* дом*"
impact ru phrase  25  "светофор* =не работ*"
impact ru phrase  25  "светофор* сломан*"
impact ru phrase  25  "светофор* =не горит"
impact ru phrase  25  "светофор* погас*"
impact ru phrase  25  "мига* желт*"
impact ru phrase  25  "всем направлени*"
impact ru phrase  25  "открыт* люк*"
impact ru phrase  25  "люк* открыт*"          gap=4
impact ru phrase  25  "=без крышк*"
impact ru phrase  25  "открыт* колод*"
impact ru phrase  10  "=не пройти"
impact ru phrase  25  "=не проехать"
impact ru phrase  25  "=не проедет"
impact ru phrase  25  "=ни заехать"
impact ru phrase  25  "=ни выехать"
impact ru phrase  25  "=не могут выехать"
impact ru phrase  25  "=не может проехать"
impact ru word    15  невозможно
impact ru phrase  25  "=по пояс"
impact ru prefix  25  фонтан
impact ru phrase  25  "порыв* водопровод*"
impact ru phrase  25  "порыв* труб*"
impact ru prefix  25  затапл
impact ru phrase  25  "=в куртках"
impact ru prefix  20  рычат
impact ru phrase  25  "=не могут пройти"
impact ru phrase  25  "перейти =не могут"
impact ru phrase  20  "поперек проезд*"
impact ru prefix  25  перекрыт
impact ru prefix  25  замело
impact ru phrase  25  "=по колено"
impact ru phrase  25  "лез* через сугроб*"
impact ru phrase  10  "=не успева*"
impact ru phrase  20  "стоит поперек"
impact ru phrase  20  "=по =одной полос*"
impact ru phrase  25  "затопил*"
impact ru prefix  25  подтоп
impact ru phrase  25  "прорвал* труб*"
impact ru phrase  25  "прорвал* стояк*"
impact ru prefix  20  хлещет
impact ru phrase  20  "=в воде"
impact ru prefix  25  сосул
impact ru phrase  25  "сыпет* штукатурк*"
impact ru prefix  25  обвал
impact ru phrase  20  "лифт* стоят"
impact ru phrase  25  "лифт* =не работ*"      gap=4
impact ru phrase  20  "лифт* стоит"
impact ru phrase  25  "батаре* холодн*"
impact ru phrase  25  "холодн* батаре*"
impact ru phrase  25  "батаре* ледян*"
impact ru phrase  25  "слаб* запах* газ"
impact ru prefix  25  кидаютс
impact ru prefix  25  бросаютс
impact ru phrase  20  "весь дом мерзнет"
impact ru prefix  20  мерзнет

impact kk phrase  25  "жарық жоқ"
impact kk phrase  25  "жарық сөнд*"
impact kk phrase  25  "су жоқ"
impact kk phrase  25  "жылу жоқ"
impact kk phrase  25  "газ жоқ"
impact kk phrase  25  "бағдаршам істемей*"
impact kk phrase  25  "бағдаршам жұмыс істемей*"
impact kk prefix  25  өшірілді
impact kk phrase  20  "бүкіл үй"
impact kk phrase  20  "бүкіл көше*"
impact kk phrase  25  "су басып"
impact kk phrase  25  "су басты"
impact kk phrase  25  "қар басып"
impact kk phrase  25  "жабылып қалды"
impact kk phrase  20  "жақындай алмай*"
impact kk phrase  25  "мүмкін емес"
impact kk phrase  20  "шыға алмай*"
impact kk prefix  20  істемей
impact kk phrase  25  "люк ашық"
impact kk phrase  25  "қақпағы жоқ"
impact kk prefix  25  сүңгі
impact kk phrase  20  "тоңып отыр"
impact kk phrase  25  "құбыры жарылып"

impact en phrase  25  "no power"
impact en phrase  25  "without power"
impact en phrase  25  "no water"
impact en phrase  25  "without water"
impact en phrase  25  "no heating"
impact en phrase  25  "no heat"
impact en stem    25  blackout
impact en phrase  25  "power outage"
impact en phrase  25  "light* =are down"
impact en phrase  25  "light* down"
impact en phrase  25  "open manhole"
impact en phrase  25  "no cover"
impact en stem    25  flooded
impact en phrase  20  "whole building"
impact en phrase  20  "whole street"
impact en phrase  20  "total chaos"
impact en phrase  20  "lift =is dead"
impact en phrase  25  "buried =in snow"
impact en stem    20  blocked

# === help ==============================================================================
help  ru  stem    10  срочно
help  ru  prefix  10  помогит
help  ru  prefix  10  спасит
help  ru  word    10  sos
help  ru  phrase  10  "нужна помощь"
help  ru  phrase  5   "=что =нам делать"
help  ru  prefix  5   вызовит
help  ru  prefix  5   аварийк
help  ru  phrase  5   "примите меры"
help  ru  prefix  5   приезжайте
help  kk  word    10  шұғыл
help  kk  prefix  10  көмектес
help  kk  phrase  10  "көмек керек"
help  kk  prefix  10  құтқарыңыз
help  kk  phrase  5   "шара қолдан*"
help  kk  phrase  5   "тез арада"
help  en  stem    10  urgent
help  en  stem    10  help
help  en  word    10  sos
help  en  word    5   asap
help  en  phrase  5   "someone send"

# === vulnerable =========================================================================
vulnerable ru stem    8   дети
vulnerable ru prefix  8   ребен
vulnerable ru prefix  8   малыш
vulnerable ru prefix  10  грудн
vulnerable ru prefix  10  младен
vulnerable ru prefix  8   пожил
vulnerable ru prefix  8   бабушк
vulnerable ru prefix  8   дедушк
vulnerable ru prefix  8   пенсионер
vulnerable ru prefix  8   инвалид
vulnerable ru prefix  8   беремен
vulnerable ru prefix  8   старик
vulnerable ru prefix  8   школьни
vulnerable ru prefix  8   дочк
vulnerable ru prefix  8   мальчик
vulnerable ru prefix  5   подрост
vulnerable ru prefix  5   коляск
vulnerable ru prefix  5   детск
vulnerable kk word    8   бала
vulnerable kk word    10  нәресте
vulnerable kk word    8   қарт
vulnerable kk word    8   әже
vulnerable kk word    8   зейнеткер
vulnerable kk word    8   мүгедек
vulnerable kk word    8   жүкті
vulnerable kk word    8   оқушы
vulnerable kk word    5   кішкентай
vulnerable kk word    5   апа
vulnerable kk word    5   қыз
vulnerable en stem    8   kid
vulnerable en stem    8   child
vulnerable en word    8   children
vulnerable en stem    10  baby
vulnerable en stem    10  infant
vulnerable en stem    8   elderly
vulnerable en stem    8   disabled
vulnerable en stem    8   pregnant
vulnerable en phrase  8   "old man"
vulnerable en phrase  8   "old woman"

# === duration ===========================================================================
duration ru phrase  5  "трет* день"
duration ru phrase  5  "втор* день"
duration ru phrase  5  "втор* сутк*"
duration ru phrase  5  "котор* день"
duration ru stem    5  неделя
duration ru stem    5  месяц
duration ru phrase  5  "=до =сих =пор"
duration ru word    3  дней
duration ru word    3  дня
duration ru word    3  суток
duration ru phrase  5  "никто =не реагир*"
duration ru phrase  5  "никто =не приех*"
duration ru phrase  3  "трубку =не бер*"
duration ru phrase  3  "=не отвеча*"
duration ru prefix  5  игнор
duration ru word    3  тишина
duration ru word    3  опять
duration ru word    3  снова
duration ru phrase  3  "=с осени"
duration ru word    3  давно
duration ru phrase  3  "=со вчерашн*"
duration ru phrase  3  "=с прошл*"
duration ru word    3  минут
duration ru phrase  3  "=уже час*"
duration kk phrase  5  "үш күн"
duration kk phrase  5  "бір апта"
duration kk word    5  апта
duration kk phrase  5  "күн болды"
duration kk word    3  бері
duration kk word    3  әлі
duration kk word    3  тағы
duration kk prefix  5  ешкім
duration kk phrase  5  "жауап бермей*"
duration en phrase  5  "=for =a week"
duration en stem    5  week
duration en word    3  days
duration en word    3  still
duration en word    3  since
duration en word    3  again
duration en word    3  hours
duration en word    2  minutes

# === question (damper) ===================================================================
question ru prefix  -10  подскаж
question ru phrase  -10  "просто вопрос"
question ru phrase  -10  "куда обращ*"
question ru phrase  -10  "=где купит*"
question ru phrase  -10  "=до скольк*"
question ru phrase  -5   "=как получ*"
question ru phrase  -5   "можно =ли"
question ru phrase  -5   "=как узна*"
question ru phrase  -10  "=это законно"
question ru phrase  -10  "=какой номер"
question kk phrase  -5   "қалай тұр*"
question kk phrase  -5   "қайдан білу*"
question kk phrase  -5   "бару керек пе"
question en phrase  -10  "how do =i"
question en phrase  -10  "how can =i"
question en phrase  -10  "where can =i"

# === thanks (damper: only with gratitude or an "already fixed") =========================
thanks ru stem    -10  спасибо
thanks ru prefix  -10  благодар
thanks kk word    -10  рахмет
thanks kk word    -10  алғыс
thanks en stem    -10  thank

# === fixed (damper) =====================================================================
fixed ru phrase  -45  "свет =уже дали"
fixed ru phrase  -45  "свет дали"
fixed ru phrase  -45  "дали свет"
fixed ru phrase  -45  "вода дали"
fixed ru phrase  -45  "дали вода"
fixed ru phrase  -45  "тепло дали"
fixed ru phrase  -45  "газ дали"
fixed ru phrase  -45  "отоплени* дали"
fixed ru phrase  -45  "дали отоплени*"
fixed ru phrase  -45  "дали тепло"
fixed ru phrase  -45  "дали газ"
fixed ru phrase  -40  "=уже работает"
fixed ru prefix  -35  починил
fixed ru prefix  -45  устранил
fixed ru prefix  -35  восстановил
fixed ru prefix  -20  заменил
fixed ru phrase  -30  "=все работает"
fixed ru prefix  -30  заработал
fixed ru phrase  -45  "вопрос решен"
fixed ru phrase  -45  "проблем* решен*"
fixed ru phrase  -25  "напор нормальн*"
fixed ru phrase  -20  "=уже горяч*"
fixed ru prefix  -20  вывезли
fixed ru phrase  -30  "закрыли люк"
fixed ru phrase  -40  "люк* =уже закрыл*"
fixed ru phrase  -40  "люк* закрыл*"
fixed kk prefix  -45  берілді
fixed kk prefix  -45  қосылды
fixed kk prefix  -35  жөнде
fixed kk phrase  -20  "істеп тұр"
fixed kk phrase  -20  "тазалап кет*"
fixed en stem    -45  fixed
fixed en stem    -45  repaired
fixed en phrase  -45  "=is back"
fixed en phrase  -45  "came back"
fixed en phrase  -45  "=back on"
fixed en stem    -45  restored
fixed en stem    -45  resolved

# === suggestion (damper) ================================================================
suggestion ru prefix  -30  предлага
suggestion ru prefix  -30  предложени
suggestion ru phrase  -30  "=было =бы хорошо"
suggestion ru phrase  -30  "=было =бы здорово"
suggestion ru phrase  -20  "хорошо =бы"
suggestion ru phrase  -20  "просим рассмотр*"
suggestion ru phrase  -30  "просим установ*"
suggestion ru prefix  -20  установите
suggestion kk prefix  -30  ұсыныс
suggestion kk prefix  -30  ұсынамын
suggestion en stem    -30  suggestion
suggestion en stem    -30  suggest
suggestion en phrase  -30  "would =be great"
suggestion en phrase  -30  "would really help"
suggestion en phrase  -30  "would =be nice"

# === calm (damper) ======================================================================
calm ru phrase  -25  "=не срочно"          gap=0
calm ru phrase  -15  "=все =норм"         gap=0
calm ru phrase  -20  "=не пугайтесь"       gap=0
calm ru word    -20  учения
calm ru phrase  -20  "учебн* тревог*"
calm ru phrase  -25  "планов* отключени*"
calm ru phrase  -25  "планов* ремонт*"
calm kk phrase  -25  "жоспарлы өшір*"
calm en phrase  -25  "planned outage"
calm kk word    -10  асықпай
calm en phrase  -25  "not urgent"         gap=0
calm en phrase  -20  "no rush"
calm en stem    -20  drill

# === negation ===========================================================================
negation ru word  0  не
negation ru word  0  нет
negation ru word  0  нет          after
negation ru word  0  нету
negation ru word  0  нету         after
negation ru word  0  никто
negation kk word  0  жоқ          after
negation kk word  0  емес         after
negation kk word  0  ешкім
negation en word  0  no
negation en word  0  not
negation en word  0  never
negation en word  0  nobody
negation en word  0  without
